import type { Logger } from "pino";
import type { DatabaseHealth } from "../db/health.js";
import { describeOutage } from "../db/unavailable.js";
import { retryDelay } from "../retry.js";

export interface LoopOptions {
  /** Named in the logs ("webhook worker", "retention sweep"…). */
  name: string;
  log: Logger;
  /**
   * One pass. Resolves with how long until the next pass is due (undefined:
   * idleMs). The signal aborts when the loop stops.
   */
  run(signal: AbortSignal): Promise<number | void>;
  /** The longest wait between two passes when nothing asks for one sooner. */
  idleMs: number;
  /** The database the passes work on: a pass that fails because it is away makes the loop wait for it. */
  health?: DatabaseHealth;
  /** After a pass fails for another reason: this long, doubling with each failure in a row up to retryCapMs. Both default to idleMs. */
  retryBaseMs?: number;
  retryCapMs?: number;
}

/**
 * Work that follows committed changes (event consumers, search indexing) is
 * nudged at most this often under load. A pass per change would cost its
 * statements (lease, read, move) per request, more than the request's own;
 * spaced passes each take what came meanwhile in one batch, at most this much
 * later while a tenant is busy (a nudge after a quiet spell starts one at once).
 */
export const FOLLOW_UP_GAP_MS = 200;

/** After the database is back, the first pass starts within this (jittered, so instances do not all start at once). */
const RESUME_JITTER_MS = 100;
/** …and a pass that keeps failing with "unavailable" while the probe says the database answers waits up to this. */
const RESUME_CAP_MS = 5000;

/**
 * A background loop over the database: one pass at a time, a pass when it is
 * due or when kicked (a kick during a pass makes one more pass after it), and
 * a timer as the safety net.
 *
 * When a pass fails because the database is away, the loop logs it once,
 * waits until the database health says it answers again (the health probes it
 * with backoff; the loop itself sends nothing meanwhile), logs that it
 * resumed, and runs again. Work a pass left half done must therefore be safe
 * to redo: leases that expire, idempotent writes, cursors stored in the
 * database. Other failures are logged and retried with a growing delay.
 */
export class BackgroundLoop {
  private timer?: NodeJS.Timeout;
  private wakeAt = 0;
  /** When the latest passes ended (nudge() spaces passes from it). */
  private passEndedAt = 0;
  /** A nudge came during passes: the next pass is due this long after they end. */
  private nudgedGapMs?: number;
  private running?: Promise<void>;
  private again = false;
  private failures = 0;
  private paused = false;
  private readonly abort = new AbortController();

  constructor(private readonly options: LoopOptions) {}

  /** Schedules the first pass. */
  start(delayMs = 0): this {
    this.wakeIn(delayMs);
    return this;
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** True while the loop waits for the database to come back. */
  get waitingForDatabase(): boolean {
    return this.paused;
  }

  /** Runs a pass now, or one more after the pass under way; resolves when that is done. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.passes().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * Asks for a pass without insisting: at once when none ended in the last
   * `gapMs`, otherwise when the gap is over (during a pass: `gapMs` after it).
   * Under a stream of changes passes then come every `gapMs` and each takes
   * what came meanwhile, instead of one pass (and its statements) per change.
   */
  nudge(gapMs: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.nudgedGapMs = Math.min(this.nudgedGapMs ?? gapMs, gapMs);
      return;
    }
    const wait = this.passEndedAt + gapMs - Date.now();
    if (wait <= 0) void this.kick();
    else this.wakeIn(wait);
  }

  /** Resolves when the pass under way, if any, is done (it starts none). */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Makes the next pass start in `ms` at the latest (a sooner wake-up stays). */
  wakeIn(ms: number): void {
    if (this.stopped) return;
    const at = Date.now() + ms;
    if (this.timer && this.wakeAt <= at) return;
    clearTimeout(this.timer);
    this.wakeAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.kick();
    }, ms);
    // Never keeps the process alive on its own.
    this.timer.unref();
  }

  /** Cancels the next pass and waits for the one under way (its signal is aborted). */
  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async passes(): Promise<void> {
    const { name, log, idleMs } = this.options;
    let next = idleMs;
    do {
      this.again = false;
      try {
        next = (await this.options.run(this.abort.signal)) ?? idleMs;
        this.failures = 0;
        if (this.paused) {
          this.paused = false;
          log.info({ loop: name }, `${name} resumed: the database is back`);
        }
      } catch (err) {
        if (this.stopped) break;
        this.failures++;
        next = await this.afterFailure(err);
        // A kick during the failed pass is served by the wake-up below, not at once: no spinning.
        break;
      }
    } while (this.again && !this.stopped);
    this.passEndedAt = Date.now();
    this.wakeIn(next);
    if (this.nudgedGapMs !== undefined) this.wakeIn(this.nudgedGapMs);
    this.nudgedGapMs = undefined;
  }

  /** Returns how long to wait before the next pass. */
  private async afterFailure(err: unknown): Promise<number> {
    const { name, log, idleMs, health } = this.options;
    if (health?.isOutage(err)) {
      // The probe decides: a connection that broke while the database still answers is no outage.
      if (!(await health.check())) {
        if (!this.paused) {
          this.paused = true;
          log.warn(
            { loop: name, reason: describeOutage(err) },
            `${name} paused: the database is unavailable; it resumes when the database is back`,
          );
        }
        await health.whenAvailable(this.abort.signal);
      }
      return retryDelay(this.failures, RESUME_JITTER_MS, RESUME_CAP_MS);
    }
    log.warn({ err, loop: name }, `${name} failed; will retry`);
    const base = this.options.retryBaseMs ?? idleMs;
    return Math.min(this.options.retryCapMs ?? idleMs, base * 2 ** (this.failures - 1));
  }
}
