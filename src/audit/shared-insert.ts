/**
 * A tenant's appends that arrive while another of its appends is on its way
 * share the next INSERT.
 *
 * Every request that reads personal data writes its access record before it
 * answers. Sent one by one, under load each record is a statement and a commit
 * of its own. Here at most one INSERT per tenant and database is in flight:
 * what the tenant appends meanwhile waits for it and then goes in one
 * statement, one commit, each request's entries in their order. A lone append
 * is sent at once, as before. Tenants never wait for each other: an insert held
 * up by a lock on one tenant's row holds up that tenant's records only. A batch
 * that fails is sent again request by request, so that one request's bad entry
 * never costs another its record (unless the database is away: then every one
 * of them fails at once, as each would have).
 */

/** One request's entries, ready for the INSERT: its tenant, its time, its rows in order. */
export interface PendingAppend<Row> {
  tenantId: string;
  at: string;
  rows: Row[];
}

/** Sends pending appends as one statement. */
export type InsertAppends<Row> = (appends: PendingAppend<Row>[]) => Promise<void>;

/** Requests in one INSERT at most: a bound on its size however long the queue grew. */
const MAX_APPENDS_PER_INSERT = 200;

interface Waiting<Row> {
  append: PendingAppend<Row>;
  resolve(): void;
  reject(err: unknown): void;
}

export class SharedInsert<Row> {
  /** Per tenant, the appends waiting while one of its inserts is in flight; no entry when none is. */
  private readonly lanes = new Map<string, Waiting<Row>[]>();

  constructor(
    private readonly insert: InsertAppends<Row>,
    /** Whether an error says the database is away (then sending each alone is pointless). */
    private readonly isOutage: (err: unknown) => boolean,
  ) {}

  /** Resolves once the append is committed; rejects with the error of its own statement. */
  append(append: PendingAppend<Row>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiting = { append, resolve, reject };
      const lane = this.lanes.get(append.tenantId);
      if (lane) lane.push(waiting);
      else void this.send(append.tenantId, [waiting]);
    });
  }

  private async send(tenantId: string, lane: Waiting<Row>[]): Promise<void> {
    this.lanes.set(tenantId, lane);
    try {
      while (lane.length) {
        const batch = lane.splice(0, MAX_APPENDS_PER_INSERT);
        await this.sendBatch(batch);
      }
    } finally {
      this.lanes.delete(tenantId);
    }
  }

  private async sendBatch(batch: Waiting<Row>[]): Promise<void> {
    try {
      await this.insert(batch.map((w) => w.append));
      for (const w of batch) w.resolve();
      return;
    } catch (err) {
      if (batch.length === 1 || this.isOutage(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
    }
    for (const w of batch) {
      try {
        await this.insert([w.append]);
        w.resolve();
      } catch (err) {
        w.reject(err);
      }
    }
  }
}
