import type { Prisma } from "../generated/prisma/client.js";

export interface JobSpec {
  kind: string;
  key: string;
  dueAt: Date;
  payload?: Record<string, unknown>;
}

interface RawClient {
  $executeRaw(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): PromiseLike<number>;
}

/**
 * Schedules jobs with one statement. A key already scheduled and not yet fired
 * moves to its new time; one that fired stays fired, so a timer rescheduled
 * after it went off (a due time shifted by a pause) never fires twice.
 */
export async function scheduleJobs(db: RawClient, tenantId: string, jobs: JobSpec[]): Promise<void> {
  if (!jobs.length) return;
  const rows = JSON.stringify(jobs.map((j) => ({ kind: j.kind, key: j.key, dueAt: j.dueAt.toISOString(), payload: j.payload ?? {} })));
  await db.$executeRaw`
    INSERT INTO "ScheduledJob" ("id", "tenantId", "kind", "key", "dueAt", "payload")
    SELECT gen_random_uuid(), ${tenantId}::uuid, r."kind", r."key", r."dueAt"::timestamptz AT TIME ZONE 'UTC', r."payload"
    FROM jsonb_to_recordset(${rows}::jsonb) AS r("kind" text, "key" text, "dueAt" text, "payload" jsonb)
    ON CONFLICT ("tenantId", "kind", "key") DO UPDATE
      SET "dueAt" = EXCLUDED."dueAt", "payload" = EXCLUDED."payload"
      WHERE "ScheduledJob"."firedAt" IS NULL`;
}

/**
 * Cancels the unfired jobs of the given kinds that belong to one of `owners`
 * (a key's first part, before ":", names what the job is about: a ticket's id),
 * except the keys in `keep`: one statement for a whole batch.
 */
export async function cancelJobs(db: RawClient, tenantId: string, kinds: string[], owners: string[], keep: string[] = []): Promise<void> {
  if (!owners.length) return;
  await db.$executeRaw`
    DELETE FROM "ScheduledJob"
    WHERE "tenantId" = ${tenantId}::uuid AND "firedAt" IS NULL AND "kind" = ANY(${kinds}::text[])
      AND split_part("key", ':', 1) = ANY(${owners}::text[])
      AND NOT ("key" = ANY(${keep}::text[]))`;
}
