import { authenticate, type Authentication } from "../auth/viewer.js";
import type { Database } from "../db/database.js";

/**
 * Checks credentials again for open streams and sockets. Many sockets share
 * one key or session: within `ttlMs` they share one lookup, so a thousand
 * subscribers of one partner cost one query per re-check, not a thousand.
 * A revocation is seen at most `ttlMs` later than without the cache.
 */
export class CredentialRecheck {
  private readonly recent = new Map<string, { at: number; result: Promise<Authentication> }>();

  constructor(
    private readonly database: Database,
    private readonly ttlMs = 500,
  ) {}

  check(header: string | null): Promise<Authentication> {
    if (!header) return Promise.resolve({ viewer: null });
    const now = Date.now();
    const hit = this.recent.get(header);
    if (hit && now - hit.at < this.ttlMs) return hit.result;
    if (this.recent.size > 10_000) {
      for (const [key, entry] of this.recent) if (now - entry.at >= this.ttlMs) this.recent.delete(key);
    }
    const result = authenticate(this.database, header);
    this.recent.set(header, { at: now, result });
    // A failed lookup (database away) is not remembered.
    result.catch(() => this.recent.delete(header));
    return result;
  }
}
