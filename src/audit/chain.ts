import { createHash } from "node:crypto";

/** What an entry's hash covers, besides the previous entry's hash. */
export interface HashedFields {
  seq: number;
  at: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  /** Every subject of a personalData.read entry; hashed only when not empty, so older entries verify as before. */
  subjectIds?: string[];
  categories: string[];
  details: unknown;
  requestId: string | null;
}

/** The columns an entry's hash covers besides seq, as a Prisma select: sealing and verification read the same. */
export const HASHED_COLUMNS = {
  at: true,
  actorType: true,
  actorId: true,
  action: true,
  subjectType: true,
  subjectId: true,
  subjectIds: true,
  categories: true,
  details: true,
  requestId: true,
} as const;

/** The entry that accounts for deleted oldest entries: details { throughSeq, hashAtThroughSeq }. */
export const PRUNED_ACTION = "audit.pruned";

/** The chain's first entry links to this. */
export const GENESIS_HASH = "";

/**
 * JSON with object keys sorted and dates as ISO strings: the same value always
 * gives the same text, whatever order the database returns jsonb keys in.
 */
function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** sha256(prevHash + canonicalJSON(fields)), hex. */
export function entryHash(prevHash: string, e: HashedFields): string {
  const body = canonicalJson({
    seq: e.seq,
    at: e.at,
    actorType: e.actorType,
    actorId: e.actorId,
    action: e.action,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    ...(e.subjectIds?.length ? { subjectIds: e.subjectIds } : {}),
    categories: e.categories,
    details: e.details ?? null,
    requestId: e.requestId,
  });
  return createHash("sha256").update(prevHash).update(body).digest("hex");
}
