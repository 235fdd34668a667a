import type { Command } from "./command.js";
import { withDatabase } from "./database.js";

export const ropa: Command = {
  name: "ropa",
  summary: "print a tenant's record of processing activities (GDPR art. 30)",
  description:
    "Prints the record of processing of a tenant: its controller, the enabled plugins (subprocessors), what data they receive, where and for how long.",
  options: {
    tenant: { type: "string", value: "<slug>", description: "the tenant", required: true },
    format: { type: "string", value: "md|json", description: "Markdown or JSON", default: "md", choices: ["md", "json"] },
  },
  run: ({ config, io, values }) =>
    withDatabase(config, io, "ropa", async (database) => {
      const [{ printRecordOfProcessing }, { PluginRegistry }, { shippedPlugins }] = await Promise.all([
        import("../plugin-host/cli.js"),
        import("../plugin-host/registry.js"),
        import("../plugin-host/shipped.js"),
      ]);
      const { tenantIdForSlug } = await import("../tenants/service.js");
      if ((await tenantIdForSlug(database, values.tenant as string)) === null) {
        io.err(`No tenant "${values.tenant}".`);
        return 2;
      }
      const registry = new PluginRegistry(shippedPlugins, config.environment);
      io.out(await printRecordOfProcessing(database, registry, values.tenant as string, values.format as "md" | "json"));
      return 0;
    }),
};
