import type { Command } from "./command.js";
import { withDatabase } from "./database.js";

export const seed: Command = {
  name: "seed",
  summary: "create the demo tenant if it does not exist",
  description:
    "Creates the demo tenant, its owner and an API key, and prints their credentials (kept in DATA_DIR for serve to print again).",
  options: {},
  run: ({ config, io }) =>
    withDatabase(config, io, "seed", async (database) => {
      const { seedDemo } = await import("../../prisma/seed.js");
      const demo = await seedDemo(database, config.dataDir);
      io.out(demo ? `Demo tenant ready: ${JSON.stringify(demo)}` : "Demo tenant exists; its credentials were not kept.");
      return 0;
    }),
};
