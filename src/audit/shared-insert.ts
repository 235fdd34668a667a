/**
 * Appends that arrive while another is on its way share the next INSERT.
 *
 * Every request that reads personal data writes its access record before it
 * answers. Sent one by one, under load each record is a statement and a commit
 * of its own. Here at most one INSERT per database is in flight: what arrives
 * meanwhile waits for it and then goes in one statement, one commit, each
 * request's entries in their order. A lone append is sent at once, as before.
 * A batch that fails is sent again request by request, so that one request's
 * bad entry never costs another its record (unless the database is away: then
 * every one of them fails at once, as each would have).
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
  private readonly waiting: Waiting<Row>[] = [];
  private sending = false;

  constructor(
    private readonly insert: InsertAppends<Row>,
    /** Whether an error says the database is away (then sending each alone is pointless). */
    private readonly isOutage: (err: unknown) => boolean,
  ) {}

  /** Resolves once the append is committed; rejects with the error of its own statement. */
  append(append: PendingAppend<Row>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ append, resolve, reject });
      if (!this.sending) void this.send();
    });
  }

  private async send(): Promise<void> {
    this.sending = true;
    try {
      while (this.waiting.length) {
        const batch = this.waiting.splice(0, MAX_APPENDS_PER_INSERT);
        await this.sendBatch(batch);
      }
    } finally {
      this.sending = false;
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
