import type { Command } from "./command.js";
import { withDatabase } from "./database.js";

export const auditVerify: Command = {
  name: "audit:verify",
  summary: "recompute a tenant's audit chain; exit 1 when it is broken",
  description:
    "Numbers what servers committed and left unnumbered, then recomputes the tenant's audit hash chain. Exits with 0 when it is intact, 1 when not.",
  options: { tenant: { type: "string", value: "<slug>", description: "the tenant whose audit log to verify", required: true } },
  run: ({ config, io, args }) =>
    withDatabase(config, io, "audit:verify", async (database) => {
      const { runAuditVerifyCommand } = await import("../audit/cli.js");
      return runAuditVerifyCommand(database, args, io.out);
    }),
};
