import type { Logger } from "pino";
import type { Database } from "../db/database.js";
import type { NotificationListener } from "../db/notifications.js";
import type { Credential, CredentialLookup } from "./viewer.js";

/** Where migration 0013_credential_notices announces changes: "<kind>:<row id>". */
const CREDENTIALS_CHANNEL = "deskgraph_credentials";

interface Entry {
  credential: Credential;
  /** Served until then: the TTL, or the credential's own expiry if sooner. */
  until: number;
}

/**
 * Working credentials kept in memory, by token digest, so that most requests
 * authenticate without a database round trip.
 *
 * Revocation: the database announces every change that can revoke or alter a
 * credential (triggers, delivered at commit) and every instance's listener
 * drops the entries concerned. Revoking requests also wait for `settle()`, so
 * that this instance has seen the notice before the caller hears "done"; the
 * other instances are sent it by PostgreSQL at the commit, a round trip before
 * that, but do not confirm it (a request already under way there may pass).
 * The TTL bounds how long a notice lost without the connection noticing could
 * matter (the listener's heartbeat catches a silent connection within 15 s).
 *
 * Fail safe: the cache is trusted only while its listener is known to be
 * listening. While it is down, every request goes to the database and nothing
 * is kept; when it is back, the cache starts empty.
 *
 * Races: a look-up that started before a notice may return what the notice
 * revoked. Every notice (and every change of trust) moves `generation`, and a
 * look-up's result is kept only if the generation did not move meanwhile.
 */
export class CredentialCache {
  /** Least recently used first (a Map keeps insertion order; a hit moves its entry to the end). */
  private readonly entries = new Map<string, Entry>();
  /** "agent:<id>" → the digests of the entries that depend on that row. */
  private readonly bySubject = new Map<string, Set<string>>();
  /** Look-ups under way, shared by concurrent requests presenting the same credential. */
  private readonly loading = new Map<string, { generation: number; result: Promise<CredentialLookup> }>();
  private trusted = false;
  private moves = 0;
  listener?: NotificationListener;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** Moves with every notice and change of trust: a value read before is stale if it moved. */
  get generation(): number {
    return this.moves;
  }

  get size(): number {
    return this.entries.size;
  }

  async resolve(digest: string, load: () => Promise<CredentialLookup>): Promise<CredentialLookup> {
    const now = Date.now();
    if (this.trusted) {
      const hit = this.entries.get(digest);
      if (hit && hit.until > now) {
        this.entries.delete(digest);
        this.entries.set(digest, hit);
        return { credential: hit.credential };
      }
      if (hit) this.remove(digest);
    }
    const generation = this.moves;
    // Join a look-up only if nothing was announced since it started, and only while trusted:
    // while the listener is down no notice moves the generation, so a join could be stale.
    const under = this.loading.get(digest);
    if (this.trusted && under?.generation === generation) return under.result;
    const result = load();
    if (this.trusted) this.loading.set(digest, { generation, result });
    try {
      const found = await result;
      if ("credential" in found && this.trusted && this.moves === generation) this.store(digest, found.credential, now);
      return found;
    } finally {
      if (this.loading.get(digest)?.result === result) this.loading.delete(digest);
    }
  }

  /** A notice: the row named by `subject` changed; what depends on it goes. */
  invalidate(subject: string) {
    this.moves++;
    const digests = this.bySubject.get(subject);
    if (digests) for (const digest of [...digests]) this.remove(digest);
  }

  /** The listener is listening (again): start from nothing, since notices may have been missed. */
  resume() {
    this.clear();
    this.trusted = true;
  }

  /** The listener is down: stop trusting and keeping anything until it is back. */
  suspend() {
    this.trusted = false;
    this.clear();
  }

  /** Resolves once this instance has seen every notice committed so far (or stopped trusting its cache). */
  async settle(): Promise<void> {
    await this.listener?.sync();
  }

  async close() {
    await this.listener?.close();
    this.suspend();
  }

  private clear() {
    this.moves++;
    this.entries.clear();
    this.bySubject.clear();
    this.loading.clear();
  }

  private store(digest: string, credential: Credential, now: number) {
    this.remove(digest);
    this.entries.set(digest, { credential, until: Math.min(now + this.ttlMs, credential.expiresAt ?? Infinity) });
    for (const subject of credential.subjects) {
      let digests = this.bySubject.get(subject);
      if (!digests) this.bySubject.set(subject, (digests = new Set()));
      digests.add(digest);
    }
    if (this.entries.size > this.maxEntries) this.remove(this.entries.keys().next().value!);
  }

  private remove(digest: string) {
    const entry = this.entries.get(digest);
    if (!entry) return;
    this.entries.delete(digest);
    for (const subject of entry.credential.subjects) {
      const digests = this.bySubject.get(subject);
      digests?.delete(digest);
      if (digests?.size === 0) this.bySubject.delete(subject);
    }
  }
}

/**
 * The cache of one instance, listening for notices; undefined when the TTL is 0
 * (every request then looks its credential up).
 */
export async function startCredentialCache(
  database: Database,
  options: { ttlMs: number; maxEntries: number },
  log: Logger,
): Promise<CredentialCache | undefined> {
  if (options.ttlMs <= 0) return undefined;
  const cache = new CredentialCache(options.ttlMs, options.maxEntries);
  cache.listener = await database.listen(
    CREDENTIALS_CHANNEL,
    {
      message: (subject) => cache.invalidate(subject),
      up: () => cache.resume(),
      down: () => cache.suspend(),
    },
    log,
  );
  return cache;
}
