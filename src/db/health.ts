import type { Logger } from "pino";
import { describeOutage, isDatabaseUnavailable, isLostCommit } from "./unavailable.js";

/** How close to a connection error a "transaction already closed" error counts as its consequence. */
const LOST_COMMIT_WINDOW_MS = 10_000;

export interface HealthOptions {
  log?: Logger;
  /** First wait between two probes while the database is away; doubles up to retryCapMs. */
  retryBaseMs?: number;
  retryCapMs?: number;
}

/**
 * Whether the database answers, as this instance sees it. It starts up; an
 * error that says the database is away (from any query, or the pool) makes it
 * probe at once, and a failed probe marks it down. While down it probes again
 * with a short backoff (100 ms doubling to 1 s: a failed connection attempt
 * costs the server next to nothing) and marks it up at the first answer, so
 * requests are served again within about a second of the database being back.
 *
 * Requests are refused with SERVICE_UNAVAILABLE while it is down, without
 * touching the database; background loops wait on whenAvailable().
 */
export class DatabaseHealth {
  private up = true;
  private changedAt = Date.now();
  private lastAnswerAt = 0;
  private probing?: Promise<boolean>;
  private retry?: NodeJS.Timeout;
  private failures = 0;
  private lastOutageErrorAt = 0;
  private closed = false;
  private readonly listeners = new Set<(available: boolean) => void>();

  constructor(
    /** Resolves when the database answered a trivial query; throws otherwise. */
    private readonly probe: () => Promise<void>,
    private readonly options: HealthOptions = {},
  ) {}

  get available(): boolean {
    return this.up;
  }

  /** Since when the database has been in its current state (ms since the epoch). */
  get since(): number {
    return this.changedAt;
  }

  /** An error from a query or a connection: when it says the database is away, look now. Others are ignored. */
  report(err: unknown): void {
    if (this.closed || !isDatabaseUnavailable(err)) return;
    this.lastOutageErrorAt = Date.now();
    if (this.up) void this.check();
  }

  /**
   * Whether an error is the database going away: one that says so, or the
   * error Prisma reports in its place when a COMMIT was cut off (see
   * isLostCommit) while connection errors were just being seen.
   */
  isOutage(err: unknown): boolean {
    if (isDatabaseUnavailable(err)) return true;
    return isLostCommit(err) && Date.now() - this.lastOutageErrorAt < LOST_COMMIT_WINDOW_MS;
  }

  /**
   * Probes now (one probe at a time) and resolves with whether the database
   * answered. With maxAgeMs, an answer that recent counts without a new probe
   * (readiness checks polled by a load balancer).
   */
  check(maxAgeMs = 0): Promise<boolean> {
    if (this.closed) return Promise.resolve(this.up);
    if (this.up && maxAgeMs > 0 && Date.now() - this.lastAnswerAt < maxAgeMs) return Promise.resolve(true);
    this.probing ??= this.runProbe().finally(() => (this.probing = undefined));
    return this.probing;
  }

  /** Resolves when the database is available (at once if it is), or when `signal` aborts or the health closes. */
  whenAvailable(signal?: AbortSignal): Promise<void> {
    if (this.up || this.closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        off();
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const off = this.onChange((available) => available && done());
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /**
   * After an error that says the database is away: probes now (joining a
   * probe under way) and, unless it answers, waits until it is back. Resolves
   * early when `signal` aborts or the health closes.
   */
  async whenAnswering(signal?: AbortSignal): Promise<void> {
    if (!(await this.check())) await this.whenAvailable(signal);
  }

  /** Called with false when the database goes away and true when it is back. Returns an unsubscribe function. */
  onChange(listener: (available: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    // Whoever waits for the database is shutting down too: let them go.
    for (const listener of [...this.listeners]) listener(true);
    this.listeners.clear();
  }

  private async runProbe(): Promise<boolean> {
    try {
      await this.probe();
      this.lastAnswerAt = Date.now();
      this.markUp();
      return true;
    } catch (err) {
      this.markDown(err);
      return false;
    }
  }

  private markDown(err: unknown): void {
    if (this.closed) return;
    if (this.up) {
      this.up = false;
      this.changedAt = Date.now();
      this.options.log?.warn(
        { reason: describeOutage(err) },
        "database unavailable: requests get SERVICE_UNAVAILABLE until it answers again",
      );
      this.notify(false);
    }
    this.failures++;
    const base = this.options.retryBaseMs ?? 100;
    const cap = this.options.retryCapMs ?? 1000;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.check(), Math.min(cap, base * 2 ** (this.failures - 1)));
    this.retry.unref();
  }

  private markUp(): void {
    this.failures = 0;
    clearTimeout(this.retry);
    if (this.up || this.closed) return;
    this.up = true;
    const downMs = Date.now() - this.changedAt;
    this.changedAt = Date.now();
    this.options.log?.info({ downMs }, "database is back");
    this.notify(true);
  }

  private notify(available: boolean): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(available);
      } catch (err) {
        this.options.log?.error({ err }, "a database health listener failed");
      }
    }
  }
}
