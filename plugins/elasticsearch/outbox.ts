import type { PluginServices, PluginWorker } from "../../src/plugin-host/plugin.js";
import type { LoadedPlugin } from "../../src/plugin-host/registry.js";
import type { ElasticsearchRuntime } from "./options.js";
import { runtimeFor } from "../../src/plugin-host/runtime.js";
import type { SearchKind } from "../../src/search/contract.js";
import { readVersioned, sendBulk } from "./bulk.js";
import { failureCode, type ClientFor } from "./client.js";
import { docKey, type DocRef } from "./documents.js";
import { ELASTICSEARCH } from "./manifest.js";
import { addNewFields } from "./mappings.js";
import { BuildRunningError, reindexTenant } from "./reindex.js";
import { BUILD_STALE_MS, currentState, isReady, writeTargets } from "./state.js";
import { retryDelay } from "../../src/retry.js";
import { BackgroundLoop, FOLLOW_UP_GAP_MS } from "../../src/background/loop.js";
import { outboundGuard } from "../../src/outbound/guard.js";

export interface OutboxWorkerOptions {
  pollMs: number;
  /** Rows taken per pass. */
  batch?: number;
  /** Build a tenant's first index by itself when the plugin is enabled (default true). */
  autoBuild?: boolean;
  retryBaseMs?: number;
  retryCapMs?: number;
}

interface Leased {
  id: bigint;
  tenantId: string;
  kind: SearchKind;
  docId: string;
  attempts: number;
}

/** A lease outlives a bulk request's timeout; then another instance may take the rows. */
const LEASE_MS = 60_000;
/** How often the timer looks for tenants whose first index is due (enabling the plugin starts one within this). */
const BUILD_CHECK_MS = 30_000;

/**
 * Sends queued changes to the tenants' indices. Rows are leased in id order
 * with FOR UPDATE SKIP LOCKED (two instances never take the same row); repeats
 * of one document in a batch collapse into one send of its current state. A
 * row is deleted only once every target index took its document; otherwise it
 * stays, with its attempts counted and its next attempt pushed back, so a
 * change made while the cluster is away is sent when it returns.
 *
 * It also starts a tenant's first full index when the plugin has just been
 * enabled (one build at a time per instance; the claim in reindex.ts keeps
 * instances from building the same tenant twice).
 */
export class OutboxWorker implements PluginWorker {
  private readonly loop: BackgroundLoop;
  private stopped = false;
  private building?: Promise<void>;
  private readonly shutdown = new AbortController();
  private lastBuildCheck = 0;
  /** A kick asked for the first-build check (not only the timer's every BUILD_CHECK_MS). */
  private buildsWanted = false;
  private readonly unsubscribe: () => void;
  /** Tenants whose automatic build failed: not before this time. */
  private readonly buildNotBefore = new Map<string, { at: number; failures: number }>();

  constructor(
    readonly services: PluginServices,
    private readonly def: LoadedPlugin,
    private readonly clientFor: ClientFor,
    private readonly options: OutboxWorkerOptions,
  ) {
    // While the database is away the loop waits for it (leased rows come back when their lease ends);
    // an unreachable cluster is the rows' own backoff, below.
    this.loop = new BackgroundLoop({
      name: "search outbox",
      log: services.log.child({ pluginId: ELASTICSEARCH }),
      health: services.database.health,
      idleMs: options.pollMs,
      run: () => services.database.background(() => this.run()),
    });
    // Committed events (new tickets, messages…) are the moment to look: their
    // changes are queued in the same transactions. The timer is the safety net.
    this.unsubscribe = services.realtime.bus.subscribe(() => this.loop.nudge(FOLLOW_UP_GAP_MS));
  }

  start(): this {
    this.loop.start(0);
    return this;
  }

  /**
   * Sends what is due, then (when asked, or every BUILD_CHECK_MS) starts a first
   * build that is due. A kick during a run makes it run once more.
   * Returns when done (tests await it).
   */
  kick(options: { builds?: boolean } = {}): Promise<void> {
    if (options.builds !== false) this.buildsWanted = true;
    return this.loop.kick();
  }

  private async run(): Promise<void> {
    // Another pass only while full batches go out: rows that failed wait for their backoff.
    const batch = this.options.batch ?? 500;
    for (;;) {
      if (this.stopped) break;
      const { leased, sent } = await this.pass();
      if (leased < batch || sent === 0) break;
    }
    const buildsDue = this.buildsWanted || Date.now() - this.lastBuildCheck >= BUILD_CHECK_MS;
    this.buildsWanted = false;
    if (this.options.autoBuild !== false && buildsDue && !this.stopped) {
      this.lastBuildCheck = Date.now();
      await this.startBuilds();
    }
  }

  /** One batch: how many rows were leased, and how many of them are done. */
  async pass(): Promise<{ leased: number; sent: number }> {
    const rows = await this.lease(this.options.batch ?? 500);
    const byTenant = new Map<string, Leased[]>();
    for (const r of rows) byTenant.set(r.tenantId, [...(byTenant.get(r.tenantId) ?? []), r]);
    let sent = 0;
    for (const [tenantId, leased] of byTenant) {
      try {
        sent += await this.sendTenant(tenantId, leased);
      } catch (err) {
        await this.retry(leased, failureCode(err));
      }
    }
    return { leased: rows.length, sent };
  }

  /** The plugin's runtime in a tenant, null unless enabled there. */
  runtimeFor(tenantId: string): Promise<ElasticsearchRuntime | null> {
    return runtimeFor(this.services, tenantId, this.def);
  }

  private async lease(limit: number): Promise<Leased[]> {
    const { prisma } = this.services.database;
    const now = new Date();
    const until = new Date(now.getTime() + LEASE_MS);
    const rows = await prisma.$queryRaw<Leased[]>`
      UPDATE "SearchIndexOutbox" AS o
      SET "attempts" = o."attempts" + 1, "nextAttemptAt" = ${until.toISOString()}::timestamp
      FROM (
        SELECT "id" FROM "SearchIndexOutbox"
        WHERE "nextAttemptAt" <= ${now.toISOString()}::timestamp
        ORDER BY "id"
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      ) AS due
      WHERE o."id" = due."id"
      RETURNING o."id", o."tenantId", o."kind", o."docId", o."attempts"`;
    return rows.map((r) => ({ ...r, attempts: Number(r.attempts) })).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** Sends one tenant's rows; returns how many are done. */
  private async sendTenant(tenantId: string, leased: Leased[]): Promise<number> {
    const runtime = await runtimeFor(this.services, tenantId, this.def);
    const targets = runtime ? writeTargets(await currentState(runtime)) : [];
    // Disabled, or no index yet: the first build reads everything as it is then.
    if (!runtime || !targets.length) {
      await this.remove(leased);
      return leased.length;
    }

    const refs = new Map<string, DocRef>();
    for (const r of leased) refs.set(docKey({ kind: r.kind, id: r.docId }), { kind: r.kind, id: r.docId });
    const { version, ops } = await readVersioned(runtime.core.db, tenantId, [...refs.values()]);
    const client = await this.clientFor(runtime.settings, outboundGuard(runtime.core.config));
    let outcome = await sendBulk(runtime, client, targets, version, ops);
    if ([...outcome.failed.values()].some((reason) => reason.includes("strict_dynamic_mapping_exception"))) {
      // An index built before a field existed (the files' text) refuses documents with it: the field
      // is added to it, and the documents sent again.
      await addNewFields(runtime, client, targets);
      outcome = await sendBulk(runtime, client, targets, version, ops);
    }
    const key = (r: Leased) => docKey({ kind: r.kind, id: r.docId });
    await this.remove(leased.filter((r) => outcome.done.has(key(r))));
    const failed = leased.filter((r) => !outcome.done.has(key(r)));
    if (failed.length) await this.retry(failed, [...new Set(failed.map((r) => outcome.failed.get(key(r)) ?? "ES_ERROR"))].join("; "));
    return leased.length - failed.length;
  }

  private async remove(rows: Leased[]): Promise<void> {
    if (!rows.length) return;
    await this.services.database.prisma.searchIndexOutbox.deleteMany({ where: { id: { in: rows.map((r) => r.id) } } });
  }

  /** Rows stay, with the reason (a code, never the cluster's text) and their next attempt later. */
  private async retry(rows: Leased[], error: string): Promise<void> {
    const { prisma } = this.services.database;
    const base = this.options.retryBaseMs ?? 1000;
    const cap = this.options.retryCapMs ?? 5 * 60_000;
    for (const attempts of new Set(rows.map((r) => r.attempts))) {
      await prisma.searchIndexOutbox.updateMany({
        where: { id: { in: rows.filter((r) => r.attempts === attempts).map((r) => r.id) } },
        data: { lastError: error.slice(0, 500), nextAttemptAt: new Date(Date.now() + retryDelay(attempts, base, cap)) },
      });
    }
  }

  /** Starts the first index of a tenant that enabled the plugin and has none (in the background). */
  private async startBuilds(): Promise<void> {
    if (this.building) return;
    // One statement for all tenants: only those that may need a build are looked at
    // closer (no state, not ready, moved to another cluster, or a build gone silent).
    const stale = new Date(Date.now() - BUILD_STALE_MS).toISOString();
    const candidates = await this.services.database.prisma.$queryRaw<{ tenantId: string }[]>`
      SELECT i."tenantId" FROM "PluginInstall" i
      LEFT JOIN "SearchIndexState" s ON s."tenantId" = i."tenantId"
      WHERE i."pluginId" = ${ELASTICSEARCH} AND i."enabled"
        AND (s."tenantId" IS NULL OR s."readyAt" IS NULL OR s."activeIndex" IS NULL OR s."node" IS DISTINCT FROM i."config"->>'node'
             OR s."alias" IS DISTINCT FROM (lower(coalesce(nullif(trim(i."config"->>'indexPrefix'), ''), 'deskgraph')) || '-' || i."tenantId"::text))
        AND (s."buildingIndex" IS NULL OR s."buildHeartbeat" < ${stale}::timestamp)
      ORDER BY i."tenantId"`;
    for (const { tenantId } of candidates) {
      const wait = this.buildNotBefore.get(tenantId);
      if (wait && wait.at > Date.now()) continue;
      const runtime = await runtimeFor(this.services, tenantId, this.def);
      if (!runtime) continue;
      const state = await currentState(runtime);
      const buildAlive = !!state?.buildingIndex && !!state.buildHeartbeat && state.buildHeartbeat.getTime() >= Date.now() - BUILD_STALE_MS;
      if (isReady(state) || buildAlive) continue;
      const log = runtime.log.child({ pluginId: ELASTICSEARCH });
      this.building = this.clientFor(runtime.settings, outboundGuard(runtime.core.config))
        .then((client) => reindexTenant(runtime, client, { progress: (line) => log.info(line), signal: this.shutdown.signal }))
        .then((r) => {
          this.buildNotBefore.delete(tenantId);
          log.info({ index: r.index, indexed: r.indexed }, "search index built; searching uses Elasticsearch now");
        })
        .catch((err) => {
          if (err instanceof BuildRunningError || this.stopped) return;
          const failures = (this.buildNotBefore.get(tenantId)?.failures ?? 0) + 1;
          this.buildNotBefore.set(tenantId, { at: Date.now() + Math.min(30 * 60_000, 5000 * 2 ** failures), failures });
          log.warn({ err: failureCode(err) }, "building the search index failed; PostgreSQL search keeps serving, will retry");
        })
        .finally(() => (this.building = undefined));
      return;
    }
  }

  /** Waits for a running build (tests). */
  async idle(): Promise<void> {
    await this.loop.idle();
    await this.building;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    this.shutdown.abort();
    await this.loop.stop();
    await this.building?.catch(() => {});
  }
}
