import type { DemoCredentials } from "../../prisma/seed.js";
import { onStopRequest } from "../stop-signals.js";
import type { Command } from "./command.js";

export const serve: Command = {
  name: "serve",
  summary: "start the API (applies pending migrations; seeds the demo tenant on first run)",
  description:
    "Starts the GraphQL API on HOST:PORT with its background work (sequencer, webhooks, retention sweeps). " +
    "Applies pending migrations first and, with SEED_DEMO, creates the demo tenant on the first run and prints its credentials. " +
    "Runs until SIGINT or SIGTERM. On the embedded database it holds DATA_DIR: other commands are refused while it runs.",
  options: {},
  async run({ config, io }) {
    const [{ createServer }, { seedDemo }] = await Promise.all([import("../server.js"), import("../../prisma/seed.js")]);
    // Seeded before the server listens, so that its first answer already sees the demo tenant.
    let demo = null as DemoCredentials | null;
    const server = await createServer(config, {
      prepare: async (database) => {
        if (config.seedDemo) demo = await seedDemo(database, config.dataDir);
      },
    });
    const where = config.databaseUrl ? "PostgreSQL server" : `embedded PostgreSQL in ${config.dataDir}`;
    io.out(`\nDeskgraph is running on the ${where}.`);
    io.out(
      config.http.graphiql
        ? `  GraphQL + GraphiQL: ${server.url}`
        : `  GraphQL: ${server.url} (GraphiQL is off; GRAPHIQL=true turns it on)`,
    );
    if (demo) {
      io.out(`  Demo tenant "${demo.tenant}": sign in as ${demo.email} / ${demo.password}`);
      io.out(`  Demo API key (all scopes): ${demo.apiKey}`);
      io.out(`  In GraphiQL, set the header {"Authorization": "Bearer ${demo.apiKey}"}\n`);
    }
    onStopRequest(server.log, (reason) => {
      server.log.info({ reason, graceSeconds: config.operations.shutdownGraceMs / 1000 }, `shutting down (${reason})`);
      server.close().then(
        () => {
          server.log.info("shutdown complete");
          process.exit(0);
        },
        (err: unknown) => {
          server.log.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
    });
    return 0;
  },
};
