import { seedDemo } from "../prisma/seed.js";
import { ConfigError, loadConfig } from "./config.js";
import { openDatabase, type Database } from "./db/database.js";
import { DatabaseUnreachableError, migrateWhenReachable } from "./db/migrate.js";
import { runSweepCommand } from "./retention/command.js";
import { createServer } from "./server.js";
import { onStopRequest } from "./stop-signals.js";

const USAGE = `Usage: tsx src/main.ts <command>
  serve     start the API (applies pending migrations; seeds the demo tenant on first run)
  migrate   apply pending migrations and exit
  seed      create the demo tenant if it does not exist
  sweep     apply the retention rules now and print what was done [--tenant <slug>]`;

/** Applies pending migrations, waiting up to DATABASE_STARTUP_WAIT_SECONDS for a database that is not up yet. */
function migrateOnStart(db: Database, waitMs: number): Promise<string[]> {
  return migrateWhenReachable(() => db.migrate(), {
    waitMs,
    onRetry: ({ reason, delayMs, remainingMs }) =>
      console.error(`Database not reachable yet (${reason}); retrying in ${(delayMs / 1000).toFixed(1)} s, giving up in ${Math.ceil(remainingMs / 1000)} s`),
  });
}

async function main(command = "serve") {
  const config = loadConfig();
  switch (command) {
    case "serve": {
      const server = await createServer(config);
      const demo = config.seedDemo ? await seedDemo(server.database, config.dataDir) : null;
      const where = config.databaseUrl ? "PostgreSQL server" : `embedded PostgreSQL in ${config.dataDir}`;
      console.log(`\nDeskgraph is running on the ${where}.`);
      console.log(config.http.graphiql ? `  GraphQL + GraphiQL: ${server.url}` : `  GraphQL: ${server.url} (GraphiQL is off; GRAPHIQL=true turns it on)`);
      if (demo) {
        console.log(`  Demo tenant "${demo.tenant}": sign in as ${demo.email} / ${demo.password}`);
        console.log(`  Demo API key (all scopes): ${demo.apiKey}`);
        console.log(`  In GraphiQL, set the header {"Authorization": "Bearer ${demo.apiKey}"}\n`);
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
      return;
    }
    case "migrate": {
      const db = await openDatabase(config);
      const ran = await migrateOnStart(db, config.databaseStartupWaitMs);
      console.log(ran.length ? `Applied: ${ran.join(", ")}` : "Database is up to date.");
      await db.close();
      return;
    }
    case "seed": {
      const db = await openDatabase(config);
      await migrateOnStart(db, config.databaseStartupWaitMs);
      const demo = await seedDemo(db, config.dataDir);
      console.log(demo ? `Demo tenant ready: ${JSON.stringify(demo)}` : "Demo tenant exists; its credentials were not kept.");
      await db.close();
      return;
    }
    case "sweep": {
      const db = await openDatabase(config);
      await migrateOnStart(db, config.databaseStartupWaitMs);
      process.exitCode = await runSweepCommand(db, process.argv.slice(3), console.log);
      await db.close();
      return;
    }
    default:
      console.error(USAGE);
      process.exit(2);
  }
}

main(process.argv[2]).catch((err) => {
  // Expected failures get their message alone; anything else its stack too.
  console.error(err instanceof ConfigError || err instanceof DatabaseUnreachableError ? err.message : err);
  process.exit(1);
});
