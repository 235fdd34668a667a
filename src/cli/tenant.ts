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
