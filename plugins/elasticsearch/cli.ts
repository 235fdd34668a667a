// Rebuilds a tenant's Elasticsearch index without interrupting search:
//   deskgraph search:reindex --tenant <slug> [--batch 1000] (src/cli/search-reindex.ts)
// Prints a progress line per batch, then switches the alias to the new index.
import { parseArgs } from "node:util";
import type { PluginServices } from "../../src/plugin-host/plugin.js";
import { runtimeFor } from "../../src/plugin-host/runtime.js";
import { clientFactory, failureCode, type ConnectionClass } from "./client.js";
import { ELASTICSEARCH } from "./manifest.js";
import { reindexTenant } from "./reindex.js";
import { outboundGuard } from "../../src/outbound/guard.js";

const USAGE = "Usage: deskgraph search:reindex --tenant <slug> [--batch 1000]";

/** The command itself; returns the exit code. */
export async function runReindexCommand(
  services: PluginServices,
  argv: string[],
  print: (line: string) => void,
  Connection?: ConnectionClass,
): Promise<number> {
  let values: { tenant?: string; batch?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { tenant: { type: "string" }, batch: { type: "string", default: "1000" } } }));
  } catch (err) {
    print(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const batch = Number(values.batch);
  if (!values.tenant || !Number.isInteger(batch) || batch < 1 || batch > 10_000) {
    print(`${!values.tenant ? "--tenant <slug> is required" : "--batch must be a whole number from 1 to 10000"}\n${USAGE}`);
    return 2;
  }
  const tenant = await services.database.prisma.tenant.findUnique({ where: { slug: values.tenant } });
  const def = services.plugins.registry.get(ELASTICSEARCH);
  if (!tenant || !def) {
    print(!tenant ? `No tenant with slug "${values.tenant}"` : "The elasticsearch plugin is not loaded");
    return 1;
  }
  const runtime = await runtimeFor(services, tenant.id, def);
  if (!runtime) {
    print(
      `Elasticsearch is not enabled for ${tenant.slug}: configure and enable the plugin first (enabling starts the first index by itself).`,
    );
    return 1;
  }
  print(
    `Rebuilding the search index of ${tenant.slug} on ${runtime.settings.node}; searching continues on the current index (or PostgreSQL) meanwhile.`,
  );
  try {
    const result = await reindexTenant(runtime, await clientFactory(Connection)(runtime.settings, outboundGuard(runtime.core.config)), {
      batch,
      progress: print,
    });
    print(
      `Done: ${result.indexed} documents in ${result.index}` +
        (result.removed ? ` (${result.removed} left out: restricted or erased subjects, redacted messages)` : "") +
        `; alias ${result.alias} switched${result.replaced.length ? `, ${result.replaced.join(", ")} deleted` : ""}.`,
    );
    return 0;
  } catch (err) {
    print(`Rebuild failed (${failureCode(err)}): ${(err as Error).message}. The previous index (or PostgreSQL) keeps serving.`);
    return 1;
  }
}
