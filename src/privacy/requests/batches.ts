import type { TenantClient } from "../../db/tenant-scope.js";
import type { Tx } from "../../db/tx.js";
import { matcherFor, scrub, type Identifiers } from "./identifiers.js";
import { candidateRows, sqlNames, type TextColumn } from "./text-columns.js";

/**
 * How erasure changes rows: in batches, each batch in a transaction of its own,
 * picking rows by condition (not yet redacted, still holding an identifier…),
 * so that an erasure that stops half-way is completed by running it again.
 */

/** Runs `step` on batches of ids until `next` finds none; returns the total `step` reported. */
export async function inBatches(
  db: TenantClient,
  next: (tx: Tx) => Promise<string[]>,
  step: (tx: Tx, ids: string[]) => Promise<number>,
): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await db.$transaction(async (tx) => {
      const ids = await next(tx);
      return ids.length ? { n: await step(tx, ids), more: true } : { n: 0, more: false };
    });
    total += done.n;
    if (!done.more) return total;
  }
}

/**
 * Writes a batch of new texts in one statement (a row at a time costs a round
 * trip each: thousands of mentions took seconds). Raw SQL passes the tenant
 * scope by, so the tenant is in the WHERE clause here.
 */
async function writeTexts(tx: Tx, tenantId: string, target: TextColumn, rows: { id: string; text: string }[]): Promise<void> {
  if (!rows.length) return;
  const { table, column } = sqlNames(target);
  await tx.$executeRaw`UPDATE ${table} AS t SET ${column} = v.text
    FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.text)}::text[]) AS v(id, text)
    WHERE t."id" = v.id AND t."tenantId" = ${tenantId}::uuid`;
}

/**
 * Replaces identifiers in one text column, batch by batch; returns the rows changed.
 * Keyset pages: rows changed by a batch stop matching, so the position is kept by id, not by offset.
 */
export async function scrubColumn(
  db: TenantClient,
  tenantId: string,
  ids: Identifiers,
  batch: number,
  target: TextColumn,
): Promise<number> {
  const matcher = matcherFor(ids);
  if (!matcher) return 0;
  let changed = 0;
  let after: string | undefined;
  for (;;) {
    const rows = await db.$transaction(async (tx) => {
      const rows = await candidateRows(tx, tenantId, target, ids, after, batch);
      const scrubbed = rows.map((r) => ({ id: r.id, ...scrub(matcher, r.text) })).filter((r) => r.count > 0);
      await writeTexts(tx, tenantId, target, scrubbed);
      changed += scrubbed.length;
      return rows;
    });
    if (rows.length < batch) return changed;
    after = rows.at(-1)!.id;
  }
}
