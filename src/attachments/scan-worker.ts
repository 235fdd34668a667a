import { BackgroundLoop } from "../background/loop.js";
import type { NotificationListener } from "../db/notifications.js";
import { capability, type Provided } from "../plugin-host/capabilities.js";
import { throughGateway } from "../plugin-host/gateway.js";
import type { PluginServices } from "../plugin-host/plugin.js";
import { systemContext } from "../plugin-host/runtime.js";
import { retryDelay } from "../retry.js";
import { ScanRefused, cleanSignature, type ScanVerdict } from "./scanner.js";
import { dropScan, giveBack, leaseScans, nextDue, recordVerdict, retryLater, type LeasedScan } from "./scan-queue.js";
import { contentOf } from "./service.js";

/** The channel a trigger notifies when files are queued (migration 0018). */
const SCAN_CHANNEL = "deskgraph_attachment_scans";
/** Files one instance scans at once. */
const MAX_IN_FLIGHT = 4;
/**
 * The safety net: how often to look when nothing said to. A file queued on any
 * instance wakes every worker through the channel, and a worker times itself
 * to the next retry due.
 */
const IDLE_POLL_MS = 5000;
/** A lease outlives a scan's time limit by this much; then another instance may take the file. */
const LEASE_MARGIN_MS = 30_000;

/**
 * Scans queued attachments, never in a request. Why a queue table leased with
 * SKIP LOCKED and not a consumer of the event feed: a consumer keeps one
 * cursor per tenant and retries a whole batch, so one file whose scanner is
 * down would hold up every file of its tenant behind it, and its attempts
 * could not be counted per file; here each file has its own attempts and next
 * attempt, files are scanned side by side, and a lease lets any instance take
 * any file but never one another instance is scanning.
 *
 * Which scanner: the tenant's own (a plugin it enabled that offers
 * `attachmentScanner`), else the operator's (`operatorAttachmentScanner`,
 * ClamAV). Each scan passes the plugin gateway like every call out, so it is
 * checked, recorded in the plugin call log and audited. A scanner that cannot
 * decide (down, none configured, refused by the gateway) leaves the file
 * PENDING and it is tried again with growing delays; after
 * ATTACHMENT_SCAN_MAX_ATTEMPTS it becomes ERROR. Nothing ever makes a file
 * CLEAN but a scanner's verdict.
 */
export class ScanWorker {
  private readonly loop: BackgroundLoop;
  private readonly shutdown = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private listener?: NotificationListener;
  /** The last lease was full: more may be due as soon as a slot frees. */
  private backlog = false;

  constructor(
    private readonly services: PluginServices,
    private readonly operatorScanner: Provided<"operatorAttachmentScanner"> | null,
  ) {
    this.loop = new BackgroundLoop({
      name: "attachment scan worker",
      log: services.log,
      health: services.database.health,
      idleMs: IDLE_POLL_MS,
      run: () => services.database.background(() => this.pass()),
    });
  }

  async start(): Promise<this> {
    const kick = () => void this.loop.kick();
    // Listening again after a gap: what was queued meanwhile was not announced, so look.
    this.listener = await this.services.database.listen(SCAN_CHANNEL, { message: kick, up: kick, down: () => {} }, this.services.log);
    this.loop.start(0);
    return this;
  }

  /** Runs passes until no scan it started is under way: what was due when called is decided, or waits for its retry. */
  async drained(): Promise<void> {
    await this.loop.kick();
    while (this.inFlight.size) {
      await Promise.all([...this.inFlight]);
      await this.loop.kick();
    }
  }

  async stop(): Promise<void> {
    this.shutdown.abort();
    await this.loop.stop();
    await this.listener?.close();
    // Scans under way see the abort and give their attempt back.
    await Promise.all([...this.inFlight]);
  }

  private get leaseMs(): number {
    return this.services.config.attachments.scanning.timeoutMs + LEASE_MARGIN_MS;
  }

  /** Starts scanning due files, up to MAX_IN_FLIGHT at once; returns how long until the next one is due. */
  private async pass(): Promise<number> {
    const { database } = this.services;
    for (;;) {
      if (this.shutdown.signal.aborted) return IDLE_POLL_MS;
      const room = MAX_IN_FLIGHT - this.inFlight.size;
      if (room <= 0) return IDLE_POLL_MS; // a scan that ends kicks again
      const leased = await leaseScans(database, room, this.leaseMs);
      this.backlog = leased.length === room;
      for (const job of leased) {
        const scanning: Promise<void> = database
          .background(() => this.scan(job))
          .catch((err) => this.services.log.error({ err, attachmentId: job.attachmentId }, "attachment scan failed unexpectedly"))
          .finally(() => {
            this.inFlight.delete(scanning);
            if (this.backlog) void this.loop.kick();
          });
        this.inFlight.add(scanning);
      }
      if (!this.backlog) break;
    }
    const due = await nextDue(database);
    return due ? Math.min(IDLE_POLL_MS, Math.max(5, due.getTime() - Date.now())) : IDLE_POLL_MS;
  }

  /** One attempt at one file. */
  private async scan(job: LeasedScan): Promise<void> {
    const { database, log } = this.services;
    const row = await database.prisma.attachment.findUnique({
      where: { id: job.attachmentId },
      select: {
        scanStatus: true,
        size: true,
        contentType: true,
        filename: true,
        blobKey: true,
        content: true,
        ticket: { select: { requesterId: true } },
      },
    });
    // Deleted meanwhile (its queue row went with it), or decided by another path.
    if (row?.scanStatus !== "PENDING" || (!row.blobKey && !row.content)) return dropScan(database, job);

    const scanner = (await capability(this.services, "attachmentScanner", job.tenantId)) ?? this.operatorScanner;
    if (!scanner)
      return this.failed(
        job,
        null,
        "NO_SCANNER",
        new Error("No malware scanner: the tenant enabled none and the operator configured none"),
      );

    const timeout = AbortSignal.timeout(this.services.config.attachments.scanning.timeoutMs);
    const signal = AbortSignal.any([this.shutdown.signal, timeout]);
    const ctx = systemContext(this.services, job.tenantId, scanner.pluginId, `scan-${job.attachmentId}-${job.attempts}`);
    const extension = /\.[A-Za-z0-9]{1,10}$/.exec(row.filename)?.[0]?.toLowerCase() ?? "";
    // Opened when the scanner starts reading: a call the gateway refuses never opens the file.
    const file = (async function* () {
      yield* await contentOf(database.forTenant(job.tenantId), row);
    })();
    let verdict: ScanVerdict;
    try {
      verdict = await throughGateway(
        ctx,
        scanner.pluginId,
        // The requester is the person a ticket's files are about: the scan shows in their access log.
        { operation: "scan", purpose: "support", categories: ["user.content.attachment"], subjectIds: [row.ticket.requesterId] },
        () => scanner.value.scan(file, { size: row.size, contentType: row.contentType, extension, signal }),
      );
    } catch (err) {
      if (this.shutdown.signal.aborted) return giveBack(database, job, "Interrupted by a server shutdown; will be scanned again");
      const code = timeout.aborted ? "SCAN_TIMEOUT" : errorCode(err);
      return this.failed(job, scanner.pluginId, code, err);
    } finally {
      // A scanner that stopped reading early leaves the file closed behind it.
      await file.return(undefined).catch(() => {});
    }
    await recordVerdict(
      database,
      job,
      verdict.status === "clean"
        ? { scanStatus: "CLEAN", scannedBy: scanner.pluginId }
        : { scanStatus: "INFECTED", scannedBy: scanner.pluginId, scanSignature: cleanSignature(verdict.signature) },
    );
    if (verdict.status === "infected")
      log.warn(
        { attachmentId: job.attachmentId, tenantId: job.tenantId, scanner: scanner.pluginId },
        "attachment quarantined: malware found",
      );
  }

  /** An attempt that did not decide: tried again later, or ERROR when the attempts are spent or the scanner never will. */
  private async failed(job: LeasedScan, pluginId: string | null, code: string, err: unknown): Promise<void> {
    const { database, log, config } = this.services;
    const { maxAttempts, retryBaseMs, retryCapMs } = config.attachments.scanning;
    const final = err instanceof ScanRefused || job.attempts >= maxAttempts;
    const fields = { attachmentId: job.attachmentId, tenantId: job.tenantId, scanner: pluginId, code, attempts: job.attempts };
    if (final) {
      log.warn({ ...fields, err }, "attachment could not be scanned: it is ERROR and will not be served");
      await recordVerdict(database, job, { scanStatus: "ERROR", scannedBy: pluginId, scanError: code });
      return;
    }
    const delay = retryDelay(job.attempts, retryBaseMs, retryCapMs);
    log.warn({ ...fields, err, retryInMs: delay }, "attachment scan failed; the file stays PENDING and is tried again");
    await retryLater(database, job, code, delay);
    this.loop.wakeIn(delay);
  }
}

/** A stable code for why an attempt failed: the gateway's, the scanner's, or SCANNER_ERROR. */
function errorCode(err: unknown): string {
  const e = err as { extensions?: { code?: unknown }; code?: unknown };
  const code = e?.extensions?.code ?? e?.code;
  return typeof code === "string" && /^[A-Z][A-Z0-9_]{1,60}$/.test(code) ? code : "SCANNER_ERROR";
}
