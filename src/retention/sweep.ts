import type { Logger } from "pino";
import { appendAuditIn } from "../audit/service.js";
import type { Database } from "../db/database.js";
import type { RetentionAction } from "../generated/prisma/enums.js";
import { TARGET_NAMES, TARGETS, cutoffFor, isTargetName, sweepAudit, type SweepScope, type TargetName } from "./targets.js";

const DEFAULT_BATCH_SIZE = 500;
/** Finished runs are kept this long, so an hourly schedule does not pile them up forever. */
const SWEEP_RUN_KEEP_DAYS = 365;

export interface SweepOptions {
  /** The clock retention periods are measured against; tests move it forward. */
  now?: Date;
  /** Sweep this tenant only. */
  tenantId?: string;
  /** Rows per batch; each batch is one transaction. */
  batchSize?: number;
  /** Stops between batches; the unfinished run is resumed by the next sweep. */
  signal?: AbortSignal;
  /** Called after every committed batch. Throwing stops that tenant's sweep there, as a crash would. */
  onBatch?: (batch: { tenantId: string; target: TargetName; processed: number }) => void | Promise<void>;
  log?: Logger;
}

interface TargetCount {
  action: RetentionAction;
  keepDays: number;
  /** Rows deleted or anonymised. */
  processed: number;
  /** Expired rows kept because of a legal hold. */
  skippedForHold: number;
}

export type SweepCounts = Partial<Record<TargetName, TargetCount>>;

export interface TenantSweep {
  tenantId: string;
  slug: string;
  runId: string;
  counts: SweepCounts;
  skippedForHold: number;
  finished: boolean;
  /** Why the sweep stopped early for this tenant; its run stays unfinished. */
  error?: string;
}

const totalHeld = (counts: SweepCounts) => Object.values(counts).reduce((n, c) => n + (c?.skippedForHold ?? 0), 0);

/**
 * Applies every tenant's retention rules: for each configured target, expired
 * rows no hold keeps are deleted or anonymised in batches, each batch in its
 * own transaction together with the update of the tenant's SweepRun row and an
 * audit entry (retention.deleted / retention.anonymized, with the count), so
 * what is recorded is exactly what was committed. Rows are chosen by
 * condition, so a sweep that stops (crash, abort, error) is simply completed by
 * the next one, and a second sweep over the same data changes nothing.
 *
 * A tenant that fails is logged and left with an unfinished run; the others
 * are still swept. Tenants without rules get no run.
 */
export async function sweep(database: Database, options: SweepOptions = {}): Promise<TenantSweep[]> {
  const now = options.now ?? new Date();
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
  // Tenants with a rule, and those with rows a fixed period has made due.
  const fixed = TARGET_NAMES.flatMap((name) => TARGETS[name].fixed?.tenantsWithWork(now) ?? []);
  const tenants = await database.prisma.tenant.findMany({
    where: { ...(options.tenantId ? { id: options.tenantId } : {}), OR: [{ retentionRules: { some: {} } }, ...fixed] },
    select: { id: true, slug: true },
    orderBy: { slug: "asc" },
  });
  const results: TenantSweep[] = [];
  for (const tenant of tenants) {
    if (options.signal?.aborted) break;
    results.push(await sweepTenant(database, tenant, now, batchSize, options));
  }
  return results;
}

async function sweepTenant(
  database: Database,
  tenant: { id: string; slug: string },
  now: Date,
  batchSize: number,
  options: SweepOptions,
): Promise<TenantSweep> {
  const db = database.forTenant(tenant.id);
  const rules = await db.retentionRule.findMany();
  const byTarget = new Map(rules.filter((r) => isTargetName(r.target)).map((r) => [r.target as TargetName, r]));
  const run = await db.sweepRun.create({ data: { tenantId: tenant.id, counts: {} } });
  const sweepStartedAt = new Date();
  let counts: SweepCounts = {};
  const result = (): TenantSweep => ({
    tenantId: tenant.id,
    slug: tenant.slug,
    runId: run.id,
    counts,
    skippedForHold: totalHeld(counts),
    finished: false,
  });

  try {
    for (const name of TARGET_NAMES) {
      const target = TARGETS[name];
      const rule = target.fixed ?? byTarget.get(name);
      if (!rule) continue;
      // A fixed period shows in the run only where it had something to do.
      if (target.fixed && !(await database.prisma.tenant.count({ where: { id: tenant.id, ...target.fixed.tenantsWithWork(now) } })))
        continue;
      if (!target.actions.includes(rule.action)) {
        options.log?.warn(
          { tenantId: tenant.id, target: name, action: rule.action },
          "retention rule with an action its target does not allow; skipped",
        );
        continue;
      }
      const scope: SweepScope = {
        database,
        tenantId: tenant.id,
        db,
        now,
        cutoff: cutoffFor(now, rule.keepDays),
        keepDays: rule.keepDays,
        action: rule.action,
        runId: run.id,
        sweepStartedAt,
      };
      counts = { ...counts, [name]: { action: rule.action, keepDays: rule.keepDays, processed: 0, skippedForHold: 0 } };

      for (;;) {
        options.signal?.throwIfAborted();
        const ids = await target.nextBatch(scope, batchSize);
        if (!ids.length) break;
        const applier = target.applier;
        let processed: number;
        if (applier.kind === "transaction") {
          processed = await db.$transaction(async (tx) => {
            const n = await applier.apply(tx, scope, ids);
            if (n) await appendAuditIn(tx, tenant.id, [sweepAudit(scope, target, n)]);
            await tx.sweepRun.update({ where: { id: run.id }, data: { counts: withProcessed(counts, name, n) as object } });
            return n;
          });
        } else {
          processed = await applier.apply(scope, ids);
          await db.sweepRun.update({ where: { id: run.id }, data: { counts: withProcessed(counts, name, processed) as object } });
        }
        counts = withProcessed(counts, name, processed);
        await options.onBatch?.({ tenantId: tenant.id, target: name, processed });
        // A short batch was the last; an empty one means the rows changed under us: move on.
        if (ids.length < batchSize || processed === 0) break;
      }

      const held = await target.countHeld(scope);
      counts = { ...counts, [name]: { ...counts[name]!, skippedForHold: held } };
      await db.sweepRun.update({ where: { id: run.id }, data: { counts: counts as object, skippedForHold: totalHeld(counts) } });
    }
    await db.sweepRun.update({
      where: { id: run.id },
      data: { counts: counts as object, skippedForHold: totalHeld(counts), finishedAt: new Date() },
    });
    await db.sweepRun.deleteMany({ where: { startedAt: { lt: cutoffFor(new Date(), SWEEP_RUN_KEEP_DAYS) } } });
    options.log?.info({ tenantId: tenant.id, runId: run.id, counts }, "retention sweep finished");
    return { ...result(), finished: true };
  } catch (err) {
    if (options.signal?.aborted)
      options.log?.info({ tenantId: tenant.id, runId: run.id }, "retention sweep stopped by shutdown; the next sweep resumes it");
    else options.log?.error({ err, tenantId: tenant.id, runId: run.id }, "retention sweep stopped; the next sweep resumes it");
    return { ...result(), error: err instanceof Error ? err.message : String(err) };
  }
}

function withProcessed(counts: SweepCounts, name: TargetName, n: number): SweepCounts {
  const current = counts[name]!;
  return { ...counts, [name]: { ...current, processed: current.processed + n } };
}
