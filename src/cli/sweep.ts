import type { Command } from "./command.js";
import { withDatabase } from "./database.js";

export const sweep: Command = {
  name: "sweep",
  summary: "apply the retention rules now and print what was done",
  description:
    "Runs one retention sweep now (the server also runs them every RETENTION_SWEEP_MINUTES) and prints a table per tenant and target. " +
    "Exits with 1 when a tenant's sweep stopped early; the next run resumes it.",
  options: { tenant: { type: "string", value: "<slug>", description: "sweep this tenant only" } },
  run: ({ config, io, args }) =>
    withDatabase(config, io, "sweep", async (database) => {
      const { runSweepCommand } = await import("../retention/command.js");
      return runSweepCommand(database, args, io.out);
    }),
};
