import type { AppendedRows, Database } from "../db/database.js";
import { AppError } from "../errors.js";
import type { Prisma } from "../generated/prisma/client.js";
import type { ActorType } from "../generated/prisma/enums.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { actorOf } from "../auth/actor.js";
import { isDataCategory } from "../privacy/taxonomy.js";
import { PRUNED_ACTION } from "./chain.js";
import { sealAudit } from "./seal.js";
import { asSequencer } from "../sequencer/lock.js";
import { SharedInsert, type PendingAppend } from "./shared-insert.js";

export { verifyAuditChain } from "./verify.js";

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
  /** personalData.read: every subject the request read. */
  subjectIds?: string[];
  /** Data categories from src/privacy/taxonomy.ts. */
  categories?: string[];
  details?: Prisma.InputJsonObject | null;
  requestId?: string | null;
}

/** The parts a caller with a GraphQL context gives; actor and request id come from the context. */
export type AuditFields = Omit<AuditInput, "actorType" | "actorId" | "requestId">;

/**
 * What appending needs of a client or transaction: the unscoped client's or a
 * tenant-scoped one's (`ctx.db.$transaction`), so that a service can audit
 * inside its own transaction.
 */
export interface AuditTx {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
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
    subjectIds: [...new Set(input.subjectIds ?? [])].sort(),
    categories,
    requestId: input.requestId ?? null,
  };
}

type AuditRow = ReturnType<typeof checked> & { details: Prisma.InputJsonObject | null };

/** The entries of one call, checked, stamped with the tenant and the time of the call. */
function pending(tenantId: string, inputs: AuditInput[]): PendingAppend<AuditRow> {
  return {
    tenantId,
    at: new Date().toISOString(),
    rows: inputs.map((input) => ({ ...checked(input), details: input.details ?? null })),
  };
}

/**
 * Writes the entries unsealed, in the order given (the sequencer keeps it: by
 * appendOrder), with one INSERT and no lock. Raw SQL rather than createMany,
 * which wraps itself in a transaction of its own: three round trips for one row.
 */
async function insertAudit(client: AuditTx, appends: PendingAppend<AuditRow>[]): Promise<void> {
  const rows = JSON.stringify(appends.flatMap(({ tenantId, at, rows }) => rows.map((row) => ({ tenantId, at, ...row }))));
  await client.$executeRaw`
    INSERT INTO "AuditEntry" ("id", "tenantId", "at", "actorType", "actorId", "action", "subjectType", "subjectId", "subjectIds", "categories", "details", "requestId")
    SELECT gen_random_uuid(), r."tenantId"::uuid, r."at"::timestamp, r."actorType"::"ActorType", r."actorId", r."action",
           r."subjectType", r."subjectId", r."subjectIds", r."categories", r."details", r."requestId"
    FROM ROWS FROM (jsonb_to_recordset(${rows}::jsonb) AS ("tenantId" text, "at" text, "actorType" text, "actorId" text, "action" text,
           "subjectType" text, "subjectId" text, "subjectIds" text[], "categories" text[], "details" jsonb, "requestId" text)) WITH ORDINALITY
         AS r("tenantId", "at", "actorType", "actorId", "action", "subjectType", "subjectId", "subjectIds", "categories", "details", "requestId", "n")
    ORDER BY r."n"`;
}

/**
 * Appends inside the caller's transaction: the entries commit or roll back
 * with it. The tenant's sequencer numbers and chains them once committed
 * (src/sequencer/).
 */
export async function appendAuditIn(tx: AuditTx, tenantId: string, entries: AuditInput[]): Promise<void> {
  if (!entries.length) return;
  await insertAudit(tx, [pending(tenantId, entries)]);
}

/** Each database's appends outside a transaction, sharing statements under load (see shared-insert.ts). */
const sharedInserts = new WeakMap<Database, SharedInsert<AuditRow>>();

function sharedInsertOf(database: Database): SharedInsert<AuditRow> {
  let shared = sharedInserts.get(database);
  if (!shared) {
    shared = new SharedInsert<AuditRow>(
      (appends) => insertAudit(database.prisma, appends),
      (err) => database.health.isOutage(err),
    );
    sharedInserts.set(database, shared);
  }
  return shared;
}

/**
 * Appends entries on their own (committed when it resolves) and tells the
 * sequencer. Concurrent appends never wait for a lock: those that arrive
 * while another is being written share the next statement. `unsealed` says
 * what the caller left for the sequencer in all: "audit" when nothing but
 * these entries (a read's access record), which may then wait for the
 * sequencer's next run; "events" when events of the caller may wait too.
 */
export async function appendAudit(
  database: Database,
  tenantId: string,
  entries: AuditInput[],
  unsealed: AppendedRows = "events",
): Promise<void> {
  if (!entries.length) return;
  await sharedInsertOf(database).append(pending(tenantId, entries));
  database.appended(tenantId, unsealed);
}

/** An entry with the context's actor and request id. */
function auditFromContext(ctx: Context, fields: AuditFields): AuditInput {
  const actor = actorOf(ctx);
  return { ...fields, actorType: actor.type, actorId: actor.id, requestId: ctx.requestId };
}

/** Appends entries for the signed-in caller, in the caller's tenant. */
export async function recordAudit(ctx: Context, ...fields: AuditFields[]): Promise<void> {
  const viewer = requireViewer(ctx);
  return appendAudit(
    ctx.database,
    viewer.tenantId,
    fields.map((f) => auditFromContext(ctx, f)),
  );
}

/** Like recordAudit, inside the caller's transaction. */
export async function recordAuditIn(tx: AuditTx, ctx: Context, ...fields: AuditFields[]): Promise<void> {
  const viewer = requireViewer(ctx);
  return appendAuditIn(
    tx,
    viewer.tenantId,
    fields.map((f) => auditFromContext(ctx, f)),
  );
}

/**
 * Deletes the oldest entries, through `throughSeq`, so that the rest still
 * verifies: under the tenant's sequencer lock, seals what is pending, appends
 * an `audit.pruned` entry naming the last deleted entry and its hash, which the
 * first remaining entry links to, and deletes. Returns how many entries were
 * deleted (0 when they already were).
 */
export async function pruneAudit(
  database: Database,
  tenantId: string,
  throughSeq: number,
  actor: { type: ActorType; id: string | null } = { type: "SYSTEM", id: null },
): Promise<number> {
  return asSequencer(database, tenantId, async (tx, head) => {
    if (!Number.isInteger(throughSeq) || throughSeq < 1 || throughSeq > head.audit.seq) {
      throw new AppError("VALIDATION", `throughSeq must be an entry of the log (1–${head.audit.seq})`);
    }
    const last = await tx.auditEntry.findUnique({ where: { tenantId_seq: { tenantId, seq: throughSeq } }, select: { hash: true } });
    if (!last) return 0;
    const doomed = { tenantId, seq: { lte: throughSeq } };
    const count = await tx.auditEntry.count({ where: doomed });
    await appendAuditIn(tx, tenantId, [
      {
        actorType: actor.type,
        actorId: actor.id,
        action: PRUNED_ACTION,
        details: { throughSeq, hashAtThroughSeq: last.hash!, deletedEntries: count },
      },
    ]);
    await sealAudit(tx, tenantId, head);
    return (await tx.auditEntry.deleteMany({ where: doomed })).count;
  });
}
