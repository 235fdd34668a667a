import { useReadinessCheck, type Plugin } from "graphql-yoga";
import type { BlobBackend } from "./blobs/store.js";
import type { Database } from "./db/database.js";
import { pendingMigrations } from "./db/pending-migrations.js";
import { RETRY_AFTER_SECONDS } from "./errors.js";
import type { EventBus } from "./events/bus.js";
import { sequencerLag } from "./sequencer/lag.js";

/** A load balancer may poll often: an answer this recent counts without a new probe. */
const PROBE_MAX_AGE_MS = 2000;

export interface ReadinessOptions {
  /** A committed row unnumbered for longer than this means the sequencer is stuck. */
  sequencerLagSeconds: number;
}

interface Report {
  status: "ready" | "unavailable";
  database: "up" | "down";
  eventBus: "up" | "down";
  migrations: "applied" | "pending" | "unknown";
  sequencer: "up" | "stalled" | "unknown";
  /** Where attachment files are kept (the local disk, an S3 bucket): reported, not deciding. */
  blobStore?: "up" | "down";
  /** What keeps the instance from serving, by the names above. */
  notReady?: string[];
  pendingMigrations?: string[];
  sequencerLag?: { unsealed: number; oldestSeconds: number };
}

/**
 * GET /ready: 200 when this instance can serve; 503 (with Retry-After and a
 * body naming what is not ready) while its database cannot be reached, while
 * migrations this build ships are not applied, or while committed rows wait
 * for the sequencer longer than `sequencerLagSeconds` (audit verification,
 * the event feed, subscriptions and webhooks would all stand still). Redis is
 * reported but does not decide: without it the API keeps working and events
 * wait in the outbox. So is the blob store: every instance shares it, and
 * taking them all out of the load balancer because files cannot be reached
 * would take away everything else too. Liveness is yoga's own GET /health,
 * which answers 200 as long as the process does and touches nothing.
 */
export function readinessCheck(database: Database, bus: EventBus, options: ReadinessOptions): Plugin {
  // Applied migrations are not un-applied: once all are there, they are not looked up again.
  let migrated = false;
  let blobs: { at: number; up: Promise<boolean> } | undefined;
  // An S3 bucket is asked over the network (and billed per request): not more often than the database.
  const blobStoreUp = (backend: BlobBackend) => {
    if (!blobs || Date.now() - blobs.at > PROBE_MAX_AGE_MS)
      blobs = {
        at: Date.now(),
        up: backend.probe().then(
          () => true,
          () => false,
        ),
      };
    return blobs.up;
  };

  async function probe(): Promise<Report> {
    const backend = database.blobs.backend;
    const [up, blobsUp] = await Promise.all([database.health.check(PROBE_MAX_AGE_MS), backend ? blobStoreUp(backend) : undefined]);
    const report: Report = {
      status: "ready",
      database: up ? "up" : "down",
      eventBus: bus.ready ? "up" : "down",
      migrations: "unknown",
      sequencer: "unknown",
      ...(blobsUp === undefined ? {} : { blobStore: blobsUp ? "up" : "down" }),
    };
    const notReady: string[] = up ? [] : ["database"];
    if (up) {
      try {
        const pending = migrated ? [] : await database.background(() => pendingMigrations(database.prisma));
        migrated = pending.length === 0;
        report.migrations = migrated ? "applied" : "pending";
        if (!migrated) {
          notReady.push("migrations");
          report.pendingMigrations = pending;
        }
        const lag = await sequencerLag(database);
        report.sequencer = lag.oldestSeconds > options.sequencerLagSeconds ? "stalled" : "up";
        if (report.sequencer === "stalled") notReady.push("sequencer");
        report.sequencerLag = lag;
      } catch (err) {
        // The database went away between the probe and these reads.
        if (!database.health.isOutage(err)) throw err;
        report.database = "down";
        notReady.push("database");
      }
    }
    if (notReady.length) {
      report.status = "unavailable";
      report.notReady = notReady;
    }
    return report;
  }

  return useReadinessCheck({
    endpoint: "/ready",
    async check({ fetchAPI }) {
      const report = await probe();
      const ready = report.status === "ready";
      return new fetchAPI.Response(JSON.stringify(report), {
        status: ready ? 200 : 503,
        headers: {
          "content-type": "application/json",
          "cache-control": "no-store",
          ...(ready ? {} : { "retry-after": String(RETRY_AFTER_SECONDS) }),
        },
      });
    },
  });
}
