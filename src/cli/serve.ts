import type { DemoCredentials } from "../../prisma/seed.js";
import { createLogger } from "../logger.js";
import type { RunningServer } from "../server.js";
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
    const log = createLogger(config.logLevel);
    let server: RunningServer | undefined;
    let stopRequested = false;
    const shutDown = (running: RunningServer) =>
      running.close().then(
        () => {
          log.info("shutdown complete");
          process.exit(0);
        },
        (err: unknown) => {
          log.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
    // Before anything starts: a stop asked for while migrations run or the server starts waits for
    // the start to finish and then shuts down in order. Without a handler the signal's default
    // action would kill the process with its work unfinished (and whoever stops the server on
    // seeing "Deskgraph is running" could do so before the handler was there).
    onStopRequest(log, (reason) => {
      log.info({ reason, graceSeconds: config.operations.shutdownGraceMs / 1000 }, `shutting down (${reason})`);
      stopRequested = true;
      if (server) shutDown(server);
    });
    // Seeded before the server listens, so that its first answer already sees the demo tenant.
    let demo = null as DemoCredentials | null;
    server = await createServer(config, {
      log,
      prepare: async (database) => {
        if (config.seedDemo) demo = await seedDemo(database, config.dataDir);
      },
    });
    if (stopRequested) {
      shutDown(server);
      return 0;
    }
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
    return 0;
  },
};
