import type { Command } from "./command.js";
import { withDatabase } from "./database.js";

export const migrate: Command = {
  name: "migrate",
  summary: "apply pending migrations and exit",
  description: "Applies the database migrations that have not run yet (serve does this on start too).",
  options: {},
  run: ({ config, io }) =>
    withDatabase(config, io, "migrate", async (_database, applied) => {
      io.out(applied.length ? `Applied: ${applied.join(", ")}` : "Database is up to date.");
      return 0;
    }),
};
