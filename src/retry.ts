/**
 * Exponential backoff with full jitter: anywhere between now and the
 * exponential step (capped), so that a failing receiver is not hit in waves
 * and an unreachable one is asked less and less often.
 */
export function retryDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1)));
}
