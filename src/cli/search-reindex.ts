import type { Command } from "./command.js";
import { withDatabase } from "./database.js";

export const searchReindex: Command = {
  name: "search:reindex",
  summary: "rebuild a tenant's Elasticsearch index while search keeps working",
  description:
    "Builds a new Elasticsearch index of the tenant's tickets and messages in batches (a progress line each), then switches the alias to it. " +
    "Searching continues on the current index (or PostgreSQL) meanwhile. The elasticsearch plugin must be enabled for the tenant.",
  options: {
    tenant: { type: "string", value: "<slug>", description: "the tenant", required: true },
    batch: { type: "string", value: "<n>", description: "documents per bulk request, 1 to 10000", default: "1000" },
  },
  run: ({ config, io, args }) =>
    withDatabase(config, io, "search:reindex", async (database) => {
      const [
        { SignInLimiter },
        { startRealtime },
        { createLogger },
        { PluginRegistry },
        { SecretBox },
        { loadSearchReindex, shippedPlugins },
      ] = await Promise.all([
        import("../agents/sign-in-limiter.js"),
        import("../events/realtime.js"),
        import("../logger.js"),
        import("../plugin-host/registry.js"),
        import("../plugin-host/secrets.js"),
        import("../plugin-host/shipped.js"),
      ]);
      const { runReindexCommand } = await loadSearchReindex();
      const log = createLogger(config.logLevel);
      const realtime = startRealtime(database, config.redisUrl, log);
      try {
        const services = {
          config,
          database,
          log,
          realtime,
          signInLimiter: new SignInLimiter(config.signIn),
          plugins: {
            registry: new PluginRegistry(shippedPlugins, config.environment),
            secrets: new SecretBox(config.encryptionKey, config.previousEncryptionKeys),
            database,
            log,
          },
        };
        return await runReindexCommand(services, args, io.out);
      } finally {
        await realtime.close();
      }
    }),
};
