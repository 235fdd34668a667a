import DataLoader from "dataloader";
import type { SealedEvent } from "../outbox.js";
import { claimCursors, moveCursors, readEvents, type ClaimRequest, type Claimed, type MoveRequest, type ReadRequest } from "./cursor.js";

/** Whatever sends the statements: the client (a driver uses its own). */
type Sql = Parameters<typeof claimCursors>[0];

/**
 * The cursor statements of every consumer, batched. A sequencer run nudges
 * all consumers at once, and each would otherwise send its own lease, read and
 * move for the same new events: requests made before the next turn of the
 * event loop go out as one statement each (one lease for every consumer, one
 * read of every tenant's events, one move of every cursor that needs no
 * transaction). Each consumer still gets exactly its own rows.
 */
export class CursorBatches {
  private readonly claims: DataLoader<ClaimRequest, Claimed[]>;
  private readonly reads: DataLoader<ReadRequest, SealedEvent[]>;
  private readonly moves: DataLoader<MoveRequest, boolean>;

  constructor(db: Sql) {
    const options = { cache: false, batchScheduleFn: (send: () => void) => setImmediate(send) };
    this.claims = new DataLoader((requests) => claimCursors(db, requests), options);
    this.reads = new DataLoader((requests) => readEvents(db, requests), options);
    this.moves = new DataLoader((requests) => moveCursors(db, requests), options);
  }

  /** claimCursors for one consumer, sent with the other consumers' claims. */
  claim(request: ClaimRequest): Promise<Claimed[]> {
    return this.claims.load(request);
  }

  /** readEvents for one cursor, sent with the other cursors' reads. */
  read(request: ReadRequest): Promise<SealedEvent[]> {
    return this.reads.load(request);
  }

  /** moveCursors for one cursor outside a transaction, sent with the other cursors' moves. */
  move(request: MoveRequest): Promise<boolean> {
    return this.moves.load(request);
  }
}
