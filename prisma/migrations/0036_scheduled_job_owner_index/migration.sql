-- Cancelling a batch's timers (src/scheduler/jobs.ts cancelJobs: the SLA consumer's,
-- for the tickets a batch touched) names them by owner, the key's first part. Without
-- this index that read every unfired timer of the tenant's kinds in each batch.
CREATE INDEX "ScheduledJob_owner_idx" ON "ScheduledJob" ("tenantId", "kind", split_part("key", ':', 1)) WHERE "firedAt" IS NULL;
