import type { Database } from "../../db/database.js";
import { TenantModel } from "./model.js";
import { trainingTickets } from "./training.js";

export interface ModelLimits {
  maxTickets: number;
  /** 0: a model is trained again only when missing or invalidated. */
  refreshMs: number;
  /** Tenants whose models are kept in memory. */
  maxModels: number;
}

/**
 * The local provider's per-tenant models on this instance: trained in the
 * background (never while a request waits), kept in memory for the most
 * recently used tenants, dropped at once when the tenant's data changed in a
 * way a model must not outlive (an erasure, an objection, a restriction:
 * AiSettings.modelsInvalidatedAt, which every instance reads) and trained again.
 */
export class LocalModels {
  private readonly models = new Map<string, TenantModel>();
  private readonly wanted = new Set<string>();
  /** Called when a tenant wants a model: the server's training loop runs a pass. */
  onWanted: () => void = () => {};

  constructor(private readonly limits: ModelLimits) {}

  /**
   * The tenant's model, or null while there is none it may use; asking for
   * one that is missing, outdated or invalidated has it trained in the background.
   */
  current(tenantId: string, invalidatedAt: Date | null, now = new Date()): TenantModel | null {
    let model = this.models.get(tenantId) ?? null;
    if (model && invalidatedAt && invalidatedAt >= model.trainedAt) {
      // Trained on data someone has since taken back: not used again, not even once more.
      this.models.delete(tenantId);
      model = null;
    }
    const outdated = model && this.limits.refreshMs > 0 && now.getTime() - model.trainedAt.getTime() > this.limits.refreshMs;
    if (!model || outdated) this.want(tenantId);
    if (model) {
      // Most recently used last: eviction takes the first.
      this.models.delete(tenantId);
      this.models.set(tenantId, model);
    }
    return model;
  }

  private want(tenantId: string): void {
    if (this.limits.maxTickets <= 0 || this.wanted.has(tenantId)) return;
    this.wanted.add(tenantId);
    this.onWanted();
  }

  /** Trains one tenant's model now, from its tickets as they are. */
  async train(database: Database, tenantId: string, signal?: AbortSignal): Promise<TenantModel> {
    const model = await TenantModel.train(trainingTickets(database.forTenant(tenantId), this.limits.maxTickets), signal);
    this.models.delete(tenantId);
    this.models.set(tenantId, model);
    while (this.models.size > this.limits.maxModels) this.models.delete(this.models.keys().next().value!);
    return model;
  }

  /** Trains the models asked for since the last pass, one tenant at a time. */
  async trainWanted(database: Database, signal?: AbortSignal): Promise<number> {
    let trained = 0;
    for (const tenantId of [...this.wanted]) {
      signal?.throwIfAborted();
      this.wanted.delete(tenantId);
      try {
        await this.train(database, tenantId, signal);
        trained++;
      } catch (err) {
        // Asked for again by the next request that needs it.
        if (signal?.aborted || database.health.isOutage(err)) this.wanted.add(tenantId);
        throw err;
      }
    }
    return trained;
  }
}

const registries = new WeakMap<Database, LocalModels>();

/** The models of a server's database (one registry per database, so that every request of an instance shares them). */
export function localModels(database: Database, limits: ModelLimits): LocalModels {
  let models = registries.get(database);
  if (!models) registries.set(database, (models = new LocalModels(limits)));
  return models;
}
