import type { Command } from "./command.js";
import { openForCommand } from "./database.js";

export const tenant: Command = {
  name: "tenant",
  summary: "create, close, reopen or list tenants",
  description:
    "create prints the owner's one-time invitation token; close makes the tenant read-only now and schedules the deletion of all of its data " +
    "after TENANT_DELETION_DAYS (done by the running server's sweep); reopen undoes a closure before the deletion; list shows every tenant and its closure state.",
  positionals: "<create|close <slug>|reopen <slug>|list>",
  options: {
    name: { type: "string", value: "<name>", description: "create: the tenant's name" },
    slug: { type: "string", value: "<slug>", description: "create: the tenant's slug (its sign-in name)" },
    "owner-email": { type: "string", value: "<email>", description: "create: the owner's email" },
    "owner-name": { type: "string", value: "<name>", description: "create: the owner's name" },
  },
  usageProblem: ({ values, positionals }) => {
    const [sub, ...rest] = positionals;
    if (sub === "list") return rest.length ? "list takes no argument" : null;
    if (sub === "close" || sub === "reopen") return rest.length === 1 ? null : `${sub} takes one tenant slug`;
    if (sub === "create") {
      if (rest.length) return "create takes options only";
      const missing = ["name", "slug", "owner-email"].filter((o) => typeof values[o] !== "string");
      return missing.length ? `create needs ${missing.map((o) => `--${o}`).join(", ")}` : null;
    }
    return sub === undefined ? "a sub-command is required: create, close, reopen or list" : `unknown sub-command "${sub}"`;
  },
  run: async ({ config, io, args }) => {
    const { runTenantCommand } = await import("../tenants/cli.js");
    return runTenantCommand(
      args,
      async () => {
        const { database } = await openForCommand(config, io, "tenant");
        return { database, deletionDays: config.tenantDeletionDays, close: () => database.close() };
      },
      io.out,
    );
  },
};
