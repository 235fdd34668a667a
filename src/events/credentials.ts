import { authenticate, type Authentication, type AuthenticateOptions } from "../auth/viewer.js";
import type { Database } from "../db/database.js";

/**
 * Checks credentials again for open streams and sockets. Many sockets share
 * one key or session: within `ttlMs` they share one check, so a thousand
 * subscribers of one partner cost one check per re-check, not a thousand.
 * With a credential cache, a remembered check is dropped as soon as the cache
 * hears of any revocation; without one (or while its listener is down), a
 * revocation is seen at most `ttlMs` later than without this memo.
 */
export class CredentialRecheck {
  private readonly recent = new Map<string, { at: number; generation: number; result: Promise<Authentication> }>();

  constructor(
    private readonly database: Database,
    private readonly options: AuthenticateOptions = {},
    private readonly ttlMs = 500,
  ) {}

  check(header: string | null): Promise<Authentication> {
    if (!header) return Promise.resolve({ viewer: null });
    const now = Date.now();
    const generation = this.options.cache?.generation ?? 0;
    const hit = this.recent.get(header);
    if (hit && now - hit.at < this.ttlMs && hit.generation === generation) return hit.result;
    if (this.recent.size > 10_000) {
      for (const [key, entry] of this.recent) if (now - entry.at >= this.ttlMs) this.recent.delete(key);
    }
    const result = authenticate(this.database, header, this.options);
    this.recent.set(header, { at: now, generation, result });
    // A failed lookup (database away) is not remembered.
    result.catch(() => this.recent.delete(header));
    return result;
  }
}
