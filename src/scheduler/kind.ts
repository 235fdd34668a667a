import type { Prisma } from "../generated/prisma/client.js";

/** A job whose time has come, as its kind's handler gets it. */
export interface DueJob {
  id: string;
  tenantId: string;
  kind: string;
  key: string;
  dueAt: Date;
  payload: Prisma.JsonValue;
}

/**
 * What a kind of timer does when it fires. `fire` runs in the transaction that
 * marks the jobs fired (database work only: no calls out), so its writes and
 * the mark commit together: each job fires exactly once, on one instance, or
 * not at all and then again on the next pass. Work that must reach the outside
 * world records an event here and is done by a consumer of that event.
 */
export interface JobKind {
  /** Stable: it is stored in each job row. */
  kind: string;
  /** Every job given is due and of this kind, across tenants; returns the tenants whose events it recorded. */
  fire(tx: Prisma.TransactionClient, jobs: DueJob[]): Promise<Iterable<string>>;
}
