import type { Logger } from "pino";
import { BackgroundLoop } from "../../background/loop.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db/database.js";
import { localModels } from "./models.js";

export interface LocalTraining {
  /** Trains a tenant's model now, as the background loop would (tools and tests). */
  train(tenantId: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Trains the local provider's per-tenant models in the background: a tenant
 * that asks for its model and has none (or an outdated or invalidated one)
 * is trained by the next pass, one tenant at a time, as background work (its
 * statements do not count as the requests').
 */
export function startLocalTraining(services: { config: Config; database: Database; log: Logger }): LocalTraining {
  const { config, database, log } = services;
  const models = localModels(database, {
    maxTickets: config.ai.trainingMaxTickets,
    refreshMs: config.ai.trainingRefreshMs,
    maxModels: config.ai.localModels,
  });
  const loop = new BackgroundLoop({
    name: "AI model training",
    log,
    health: database.health,
    // Passes run when a tenant asks for a model; the timer only retries one that failed.
    idleMs: 60 * 60_000,
    retryBaseMs: 5_000,
    retryCapMs: 5 * 60_000,
    async run(signal) {
      const trained = await database.background(() => models.trainWanted(database, signal));
      if (trained) log.debug({ tenants: trained }, "trained local AI models");
    },
  });
  models.onWanted = () => void loop.kick();
  return {
    train: async (tenantId) => void (await database.background(() => models.train(database, tenantId))),
    stop: () => loop.stop(),
  };
}
