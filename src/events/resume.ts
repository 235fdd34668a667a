import type { DatabaseHealth } from "../db/health.js";
import { retryDelay } from "../retry.js";

export interface ResumingStreamOptions<E extends { seq: number }> {
  /** Where the stream starts: events with a greater seq come. */
  from: number;
  /** Reads the feed after a seq (first the stored events, then live ones). */
  read: (after: number) => AsyncIterable<E>;
  /**
   * Decides whether the subscriber gets an event (filters, permissions; it may
   * read the database and may throw, e.g. when credentials were revoked).
   * It answers at once when it can: most events need no database, and a
   * thousand streams each awaiting a promise per event add up.
   */
  accept: (event: E) => boolean | Promise<boolean>;
  health: DatabaseHealth;
  signal: AbortSignal;
}

/**
 * A subscription's stream that outlives a database outage. When reading the
 * feed, or deciding on an event, fails because the database is away, the
 * stream does not end: it waits until the database answers again and reads on
 * after the last event it finished with. An event counts as finished once it
 * was handed over (or skipped), so nothing is lost and nothing comes twice.
 * Any other error ends the stream as before.
 */
export async function* resumingStream<E extends { seq: number }>(options: ResumingStreamOptions<E>): AsyncGenerator<E> {
  const { read, accept, health, signal } = options;
  let last = options.from;
  let failures = 0;
  while (!signal.aborted) {
    try {
      for await (const event of read(last)) {
        if (event.seq <= last) continue;
        const accepted = accept(event);
        if (accepted === true || (accepted !== false && (await accepted))) yield event;
        last = event.seq;
        failures = 0;
      }
      return;
    } catch (err) {
      if (signal.aborted || !health.isOutage(err)) throw err;
      await health.whenAnswering(signal);
      // Thousands of streams must not all read at the same instant, nor spin if the database flaps.
      await pause(retryDelay(++failures, 250, 2000), signal);
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
