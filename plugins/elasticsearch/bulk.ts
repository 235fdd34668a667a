import type { Client, estypes } from "@elastic/elasticsearch";
import type { TenantClient } from "../../src/db/tenant-scope.js";
import type { ElasticsearchRuntime } from "./options.js";
import { decideMany } from "../../src/privacy/consent.js";
import type { DataCategory } from "../../src/privacy/taxonomy.js";
import { docKey, esId, loadDocuments, withFileTexts, type DocOp, type DocRef } from "./documents.js";

const CATEGORIES: DataCategory[] = ["user.name", "user.contact.email", "user.contact.phone", "user.content.message"];
/** Sent as well when a document carries the text of a message's files. */
const FILE_CATEGORY: DataCategory = "user.content.attachment";
/** One bulk request carries about this much; more goes in the next (files' texts make documents large). */
const MAX_BULK_CHARS = 8 * 1024 * 1024;

/**
 * Reads the documents' current state together with a version for it: a value
 * of the outbox's sequence taken in the same repeatable-read transaction, so a
 * later read always carries a higher version. Writes use it as an external
 * version, so that when two sends of one document cross (two instances, a
 * rebuild and the queue), the older state loses whatever the arrival order.
 */
export async function readVersioned(db: TenantClient, tenantId: string, refs: DocRef[]): Promise<{ version: number; ops: DocOp[] }> {
  const read = await db.$transaction(
    async (tx) => {
      const [row] = await tx.$queryRaw<{ v: bigint }[]>`SELECT nextval(pg_get_serial_sequence('"SearchIndexOutbox"', 'id')) AS v`;
      const ops = await loadDocuments(tx as unknown as TenantClient, tenantId, refs);
      return { version: Number(row!.v), ops: await onlyAllowed(tx as unknown as TenantClient, ops) };
    },
    { isolationLevel: "RepeatableRead" },
  );
  // Files' texts are read after it, and are at least as new as the version says.
  return { version: read.version, ops: await withFileTexts(db, read.ops) };
}

/**
 * The gateway refuses a call when any subject in it may not be processed for
 * `support`. Restriction is already handled by loadDocuments; this asks the
 * gateway's own rule (consent, objection) beforehand, so that one person's
 * objection turns their documents into deletes instead of failing everybody's batch.
 */
async function onlyAllowed(db: TenantClient, ops: DocOp[]): Promise<DocOp[]> {
  const subjects = [...new Set(ops.flatMap((op) => (op.action === "index" ? op.subjectIds : [])))];
  if (!subjects.length) return ops;
  const decisions = await decideMany(db, subjects, "support");
  return ops.map((op) =>
    op.action === "index" && op.subjectIds.some((id) => decisions.get(id) !== "ALLOWED")
      ? { action: "delete", ref: op.ref, reason: "restricted" }
      : op,
  );
}

export interface BulkOutcome {
  /** Documents every target index has now (or has something newer of). */
  done: Set<string>;
  /** Documents that failed, with the first reason. */
  failed: Map<string, string>;
}

/**
 * Sends index and delete operations to each target index in bulk requests,
 * through the gateway: recorded with the data subjects of what is indexed
 * (deletes carry no personal data), and with the attachment category when a
 * document carries files' text. The caller has already turned restricted
 * subjects' documents into deletes, so the gateway's check cannot refuse the
 * batch for them. A version conflict means the index already has a newer
 * state, and a delete of a missing document has nothing to do: both count as
 * done. Documents are split over several requests when they add up to more
 * than MAX_BULK_CHARS.
 */
export async function sendBulk(
  runtime: ElasticsearchRuntime,
  client: Client,
  indices: string[],
  version: number,
  ops: DocOp[],
  options: { operation: string; refresh?: boolean } = { operation: "index" },
): Promise<BulkOutcome> {
  const done = new Set<string>();
  const failed = new Map<string, string>();
  if (!ops.length || !indices.length) {
    for (const op of ops) done.add(docKey(op.ref));
    return { done, failed };
  }
  for (const chunk of chunks(ops)) {
    const routing = runtime.tenantId;
    const operations: unknown[] = [];
    const order: string[] = [];
    for (const index of indices) {
      for (const op of chunk) {
        const meta = { _index: index, _id: esId(op.ref), routing, version, version_type: "external" as const };
        if (op.action === "index") operations.push({ index: meta }, op.doc);
        else operations.push({ delete: meta });
        order.push(docKey(op.ref));
      }
    }
    const indexed = chunk.flatMap((op) => (op.action === "index" ? [op] : []));
    const subjectIds = [...new Set(indexed.flatMap((op) => op.subjectIds))].sort();
    const categories = !subjectIds.length ? [] : indexed.some((op) => op.doc.attachments) ? [...CATEGORIES, FILE_CATEGORY] : CATEGORIES;
    const response = await runtime.call({ operation: options.operation, purpose: "support", categories, subjectIds }, () =>
      client.bulk({ operations, ...(options.refresh ? { refresh: true } : {}) }),
    );
    response.items.forEach((item: Partial<Record<estypes.BulkOperationType, estypes.BulkResponseItem>>, i: number) => {
      const key = order[i]!;
      const result = item.index ?? item.delete ?? item.create ?? item.update;
      const status = result?.status ?? 500;
      const ok = (status >= 200 && status < 300) || status === 409 || (status === 404 && !!item.delete);
      if (!ok && !failed.has(key)) failed.set(key, `${status} ${result?.error?.type ?? "error"}`);
    });
    for (const key of order) if (!failed.has(key)) done.add(key);
  }
  return { done, failed };
}

/** The operations in runs of about MAX_BULK_CHARS of documents each (a document larger than that goes alone). */
function chunks(ops: DocOp[]): DocOp[][] {
  const out: DocOp[][] = [[]];
  let size = 0;
  for (const op of ops) {
    const length = op.action === "index" ? (op.doc.body?.length ?? 0) + (op.doc.attachments?.length ?? 0) + 500 : 100;
    if (size + length > MAX_BULK_CHARS && out.at(-1)!.length) {
      out.push([]);
      size = 0;
    }
    out.at(-1)!.push(op);
    size += length;
  }
  return out;
}
