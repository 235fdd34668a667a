import type { Client } from "@elastic/elasticsearch";
import type { ElasticsearchRuntime } from "./options.js";
import type { SearchKind } from "../../src/search/contract.js";
import { readVersioned, sendBulk } from "./bulk.js";
import { aliasFor, indexBody, versionedIndex } from "./mappings.js";
import { BUILD_STALE_MS, stateOf } from "./state.js";

export interface ReindexOptions {
  batch?: number;
  /** Receives a progress line after every batch (awaited: output can be flushed). */
  progress?: (line: string) => void | Promise<void>;
  /** Stops the build between batches (server shutdown); the half-built index is dropped. */
  signal?: AbortSignal;
  now?: () => number;
}

export interface ReindexResult {
  index: string;
  alias: string;
  indexed: number;
  removed: number;
  total: number;
  replaced: string[];
}

export class BuildRunningError extends Error {}

const KINDS: SearchKind[] = ["CONTACT", "TICKET", "MESSAGE"];

/** `indexed 120000/1000000 (12%) 8,500 docs/s` */
export function progressLine(done: number, total: number, elapsedMs: number): string {
  const pct = total ? Math.floor((done / total) * 100) : 100;
  const rate = Math.round(done / Math.max(elapsedMs / 1000, 0.001));
  return `indexed ${done}/${total} (${pct}%) ${rate.toLocaleString("en-US")} docs/s`;
}

/**
 * Builds the tenant's index afresh and switches searching to it without a gap:
 *
 * 1. claims the build (one per tenant across instances; a build silent for
 *    BUILD_STALE_MS is taken over) and records the new index as `buildingIndex`;
 *    from then on the outbox worker writes every change to it as well;
 * 2. creates `<alias>-v<n>` with the mappings for the tenant's locale;
 * 3. streams contacts, tickets and messages in id order (keyset pages), each
 *    page read with its version and sent in one bulk request;
 * 4. refreshes it, moves the alias in one atomic request, deletes the old index.
 *
 * Until the first build completes the plugin's searchBackend is null, so the
 * tenant keeps searching PostgreSQL; during a rebuild the old index serves.
 */
export async function reindexTenant(runtime: ElasticsearchRuntime, client: Client, options: ReindexOptions = {}): Promise<ReindexResult> {
  const batch = Math.max(1, Math.min(options.batch ?? 1000, 10_000));
  const now = options.now ?? Date.now;
  const db = runtime.core.db;
  const alias = aliasFor(runtime.settings, runtime.tenantId);
  const index = versionedIndex(alias, now());
  await claimBuild(runtime, alias, index, now);

  const heartbeat = () => db.searchIndexState.update({ where: { tenantId: runtime.tenantId }, data: { buildHeartbeat: new Date(now()) } });
  try {
    const tenant = await db.tenant.findUniqueOrThrow({ where: { id: runtime.tenantId } });
    await runtime.call({ operation: "createIndex", purpose: "support", categories: [], subjectIds: [] }, () =>
      client.indices.create({ index, ...indexBody(tenant.defaultLocale) }),
    );

    const [contacts, tickets, messages] = await Promise.all([db.contact.count(), db.ticket.count(), db.message.count()]);
    const total = contacts + tickets + messages;
    const started = now();
    let done = 0;
    let indexed = 0;
    let removed = 0;
    for (const kind of KINDS) {
      let after: string | undefined;
      for (;;) {
        const where = after ? { id: { gt: after } } : {};
        const page = { where, select: { id: true }, orderBy: { id: "asc" as const }, take: batch };
        const rows =
          kind === "CONTACT"
            ? await db.contact.findMany(page)
            : kind === "TICKET"
              ? await db.ticket.findMany(page)
              : await db.message.findMany(page);
        if (!rows.length) break;
        after = rows[rows.length - 1]!.id;
        const { version, ops } = await readVersioned(
          db,
          runtime.tenantId,
          rows.map((r) => ({ kind, id: r.id })),
        );
        // A new index holds nothing to delete: only what may be indexed is sent.
        const toIndex = ops.filter((op) => op.action === "index");
        const outcome = await sendBulk(runtime, client, [index], version, toIndex, { operation: "reindex" });
        if (outcome.failed.size) {
          const [key, reason] = [...outcome.failed][0]!;
          throw new Error(`${outcome.failed.size} document(s) could not be indexed (first: ${key}: ${reason})`);
        }
        indexed += toIndex.length;
        removed += ops.length - toIndex.length;
        done += rows.length;
        await heartbeat();
        await options.progress?.(progressLine(done, Math.max(total, done), now() - started));
        options.signal?.throwIfAborted();
        if (rows.length < batch) break;
      }
    }

    const replaced = await runtime.call({ operation: "switchAlias", purpose: "support", categories: [], subjectIds: [] }, async () => {
      await client.indices.refresh({ index });
      const current = await client.indices.getAlias({ name: alias }).catch((err) => {
        if ((err as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return {};
        throw err;
      });
      const old = Object.keys(current).filter((name) => name !== index);
      // One request: the alias never points at nothing, nor at both.
      await client.indices.updateAliases({
        actions: [...old.map((name) => ({ remove: { index: name, alias } })), { add: { index, alias, is_write_index: true } }],
      });
      return old;
    });
    await db.searchIndexState.update({
      where: { tenantId: runtime.tenantId },
      data: { activeIndex: index, buildingIndex: null, buildStartedAt: null, buildHeartbeat: null, readyAt: new Date(now()) },
    });
    if (replaced.length) {
      await runtime.call({ operation: "deleteIndex", purpose: "support", categories: [], subjectIds: [] }, () =>
        client.indices.delete({ index: replaced }),
      );
    }
    return { index, alias, indexed, removed, total, replaced };
  } catch (err) {
    // The half-built index is dropped; the live one (if any) keeps serving.
    await db.searchIndexState
      .updateMany({ where: { buildingIndex: index }, data: { buildingIndex: null, buildStartedAt: null, buildHeartbeat: null } })
      .catch(() => {});
    await runtime
      .call({ operation: "deleteIndex", purpose: "support", categories: [], subjectIds: [] }, () =>
        client.indices.delete({ index, ignore_unavailable: true }),
      )
      .catch(() => {});
    throw err;
  }
}

/** Records the build, unless another one is alive for the tenant. Moving to another cluster or prefix starts over. */
async function claimBuild(runtime: ElasticsearchRuntime, alias: string, index: string, now: () => number): Promise<void> {
  const db = runtime.core.db;
  const node = runtime.settings.node!;
  const at = new Date(now());
  const building = { buildingIndex: index, buildStartedAt: at, buildHeartbeat: at };
  const state = await stateOf(runtime);
  if (!state) {
    await db.searchIndexState
      .create({ data: { tenantId: runtime.tenantId, pluginId: runtime.pluginId, node, alias, ...building } })
      .catch(() => {
        throw new BuildRunningError("A build of this tenant's index is already running");
      });
    return;
  }
  const sameTarget = state.node === node && state.alias === alias;
  const claimed = await db.searchIndexState.updateMany({
    where: {
      tenantId: runtime.tenantId,
      updatedAt: state.updatedAt,
      OR: [{ buildingIndex: null }, { buildHeartbeat: { lt: new Date(now() - BUILD_STALE_MS) } }],
    },
    data: { node, alias, ...building, ...(sameTarget ? {} : { activeIndex: null, readyAt: null }) },
  });
  if (!claimed.count)
    throw new BuildRunningError(`A build of this tenant's index is already running (${state.buildingIndex ?? "just started"})`);
}
