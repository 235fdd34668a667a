import type { Logger } from "pino";
import type { DatabaseTarget } from "./adapter.js";
import { DedicatedConnection } from "./dedicated.js";

export interface LeaderLockOptions {
  target: DatabaseTarget & { databaseUrl: string };
  /** What this leader does, for the logs ("event sequencer"). */
  name: string;
  /** The session advisory lock that makes the leader: one key per kind of leader. */
  key: bigint | number;
  log: Logger;
  /** How often a follower tries to take the lock, and a leader checks that its session is alive. */
  checkMs?: number;
}

/**
 * One leader across instances, held as a session-level advisory lock on a
 * dedicated connection. The lock lives exactly as long as the session: when
 * the connection is lost (a PostgreSQL restart, a network cut) the lock is
 * gone, `isLeader` turns false at once and listeners are told, so the old
 * leader stops acting as one; after reconnecting it tries again and may or may
 * not win. A leader also checks every `checkMs` that its session still
 * answers, and gives up leadership if it does not.
 *
 * Work done as leader should check `isLeader` before each step (or stop on
 * onChange(false)), and stay safe if two leaders overlap for an instant.
 */
export class LeaderLock {
  private leader = false;
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private readonly connection: DedicatedConnection;
  private readonly listeners = new Set<(leader: boolean) => void>();

  constructor(private readonly options: LeaderLockOptions) {
    this.connection = new DedicatedConnection({
      target: options.target,
      name: `${options.name} leader lock`,
      log: options.log,
      // A heartbeat that hangs (a network cut the kernel has not noticed) must end leadership too.
      queryTimeoutMs: Math.max(5000, 3 * (options.checkMs ?? 1000)),
      // A fresh session holds nothing: try for the lock at once rather than at the next check.
      setUp: async (client) => {
        const { rows } = await client.query<{ got: boolean }>("SELECT pg_try_advisory_lock($1) AS got", [String(options.key)]);
        this.setLeader(rows[0]?.got === true);
      },
      onLost: () => this.setLeader(false),
    });
  }

  start(): this {
    this.connection.start();
    this.timer = setInterval(() => void this.tick(), this.options.checkMs ?? 1000);
    this.timer.unref();
    return this;
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** Called with true when this instance becomes the leader and false when it stops being one. */
  onChange(listener: (leader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops: ending the session releases the lock for another instance. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.setLeader(false);
    await this.connection.close();
  }

  private async tick(): Promise<void> {
    if (this.ticking || !this.connection.connected) return;
    this.ticking = true;
    try {
      if (this.leader) {
        await this.connection.query("SELECT 1");
      } else {
        const [row] = await this.connection.query<{ got: boolean }>("SELECT pg_try_advisory_lock($1) AS got", [String(this.options.key)]);
        if (row?.got) this.setLeader(true);
      }
    } catch (err) {
      // A session that fails to answer cannot be trusted to hold the lock: drop it and start over.
      this.setLeader(false);
      this.connection.reset(err);
    } finally {
      this.ticking = false;
    }
  }

  private setLeader(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.options.log.info({ lock: this.options.name }, leader ? "became the leader" : "no longer the leader");
    for (const listener of [...this.listeners]) listener(leader);
  }
}
