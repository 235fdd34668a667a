import type { Database } from "../db/database.js";
import { AppError } from "../errors.js";
import type { Prisma } from "../generated/prisma/client.js";
import type { ActorType } from "../generated/prisma/enums.js";
import type { Context } from "../graphql/context.js";
import { requireViewer } from "../graphql/context.js";
import { actorOf } from "../privacy/actor.js";
import { isDataCategory } from "../privacy/taxonomy.js";
import { entryHash, PRUNED_ACTION } from "./chain.js";

export { verifyAuditChain, type ChainVerification } from "./verify.js";

/**
 * One fact for the audit log. Actor and subject are named by id only; `details`
 * must never hold personal data (no names, emails, message text): ids, codes,
 * counts and outcomes.
 */
export interface AuditInput {
  actorType: ActorType;
  actorId: string | null;
  /** Dotted, e.g. `mutation.updateContact`, `personalData.read`, `audit.pruned`. */
  action: string;
  subjectType?: string | null;
  subjectId?: string | null;
  /** Data categories from src/privacy/taxonomy.ts. */
  categories?: string[];
  details?: Prisma.InputJsonObject | null;
  requestId?: string | null;
}

/** The parts a caller with a GraphQL context gives; actor and request id come from the context. */
export type AuditFields = Omit<AuditInput, "actorType" | "actorId" | "requestId">;

export interface AuditHead {
  seq: number;
  hash: string;
}

/**
 * What appending needs of a transaction: the unscoped client's or a
 * tenant-scoped one's (`ctx.db.$transaction`), so that a service can audit
 * inside its own transaction.
 */
export interface AuditTx {
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
  auditEntry: { createMany(args: { data: Prisma.AuditEntryCreateManyInput[] }): PromiseLike<unknown> };
}

// Appends wait for each other on the tenant's row; under load that can take a while.
const TX_OPTIONS = { maxWait: 15_000, timeout: 15_000 };

/**
 * Locks the tenant's audit head until the transaction ends. NO KEY UPDATE, so
 * that rows referencing the tenant can still be inserted meanwhile.
 */
async function lockHead(tx: AuditTx, tenantId: string): Promise<AuditHead> {
  const rows = await tx.$queryRaw<{ auditSeq: number; auditHeadHash: string }[]>`
    SELECT "auditSeq", "auditHeadHash" FROM "Tenant" WHERE "id" = ${tenantId}::uuid FOR NO KEY UPDATE`;
  const row = rows[0];
  if (!row) throw new AppError("NOT_FOUND", "Tenant not found");
  return { seq: Number(row.auditSeq), hash: row.auditHeadHash };
}

function checked(input: AuditInput) {
  if (!/^[\w.:-]{1,100}$/.test(input.action)) throw new Error(`Invalid audit action: ${input.action}`);
  const categories = [...new Set(input.categories ?? [])].sort();
  const unknown = categories.find((c) => !isDataCategory(c));
  if (unknown) throw new Error(`Unknown data category in an audit entry: ${unknown}`);
  return {
    actorType: input.actorType,
    actorId: input.actorId ?? null,
    action: input.action,
    subjectType: input.subjectType ?? null,
    subjectId: input.subjectId ?? null,
    categories,
    // Stored as jsonb and hashed as read back: a JSON round trip drops undefined values first.
    details: input.details == null ? null : (JSON.parse(JSON.stringify(input.details)) as Prisma.InputJsonObject),
    requestId: input.requestId ?? null,
  };
}

/** Writes entries after `head` (which the caller has locked) and moves the head. */
async function writeAfter(tx: AuditTx, tenantId: string, head: AuditHead, inputs: AuditInput[]): Promise<AuditHead> {
  const at = new Date();
  let { seq, hash } = head;
  const rows: Prisma.AuditEntryCreateManyInput[] = inputs.map((input) => {
    const fields = { ...checked(input), seq: seq + 1, at };
    const prevHash = hash;
    seq = fields.seq;
    hash = entryHash(prevHash, fields);
    const { details, ...rest } = fields;
    return { ...rest, ...(details === null ? {} : { details }), tenantId, prevHash, hash };
  });
  await tx.auditEntry.createMany({ data: rows });
  await tx.$executeRaw`UPDATE "Tenant" SET "auditSeq" = ${seq}, "auditHeadHash" = ${hash} WHERE "id" = ${tenantId}::uuid`;
  return { seq, hash };
}

/** Appends inside the caller's transaction: the entries commit or roll back with it. */
export async function appendAuditIn(tx: AuditTx, tenantId: string, entries: AuditInput[]): Promise<AuditHead | null> {
  if (!entries.length) return null;
  return writeAfter(tx, tenantId, await lockHead(tx, tenantId), entries);
}

/**
 * Appends entries atomically, numbered gap-free after the tenant's head and
 * each chained to the one before. Concurrent appends queue on the tenant's row.
 * Returns the new head.
 */
export async function appendAudit(database: Database, tenantId: string, entries: AuditInput[]): Promise<AuditHead | null> {
  if (!entries.length) return null;
  return database.prisma.$transaction((tx) => appendAuditIn(tx, tenantId, entries), TX_OPTIONS);
}

/** An entry with the context's actor and request id. */
export function auditFromContext(ctx: Context, fields: AuditFields): AuditInput {
  const actor = actorOf(ctx);
  return { ...fields, actorType: actor.type, actorId: actor.id, requestId: ctx.requestId };
}

/** Appends entries for the signed-in caller, in the caller's tenant. */
export async function recordAudit(ctx: Context, ...fields: AuditFields[]): Promise<AuditHead | null> {
  const viewer = requireViewer(ctx);
  return appendAudit(ctx.database, viewer.tenantId, fields.map((f) => auditFromContext(ctx, f)));
}

/** Like recordAudit, inside the caller's transaction. */
export async function recordAuditIn(tx: AuditTx, ctx: Context, ...fields: AuditFields[]): Promise<AuditHead | null> {
  const viewer = requireViewer(ctx);
  return appendAuditIn(tx, viewer.tenantId, fields.map((f) => auditFromContext(ctx, f)));
}

/**
 * Deletes the oldest entries, through `throughSeq`, so that the rest still
 * verifies: first appends an `audit.pruned` entry naming the last deleted
 * entry and its hash, which the first remaining entry links to. Returns how
 * many entries were deleted (0 when they already were).
 */
export async function pruneAudit(
  database: Database,
  tenantId: string,
  throughSeq: number,
  actor: { type: ActorType; id: string | null } = { type: "SYSTEM", id: null },
): Promise<number> {
  return database.prisma.$transaction(async (tx) => {
    const head = await lockHead(tx, tenantId);
    if (!Number.isInteger(throughSeq) || throughSeq < 1 || throughSeq > head.seq) {
      throw new AppError("VALIDATION", `throughSeq must be an entry of the log (1–${head.seq})`);
    }
    const last = await tx.auditEntry.findUnique({ where: { tenantId_seq: { tenantId, seq: throughSeq } }, select: { hash: true } });
    if (!last) return 0;
    const doomed = { tenantId, seq: { lte: throughSeq } };
    const count = await tx.auditEntry.count({ where: doomed });
    await writeAfter(tx, tenantId, head, [
      {
        actorType: actor.type,
        actorId: actor.id,
        action: PRUNED_ACTION,
        details: { throughSeq, hashAtThroughSeq: last.hash, deletedEntries: count },
      },
    ]);
    return (await tx.auditEntry.deleteMany({ where: doomed })).count;
  }, TX_OPTIONS);
}
