import { sealAudit } from "../audit/seal.js";
import type { Database } from "../db/database.js";
import { sealEvents } from "../events/seal.js";
import { asSequencer } from "./lock.js";

/**
 * One sequencer run for one tenant: numbers its committed audit entries and
 * events. Returns how many events it numbered and the event head, for the
 * notice that wakes subscribers.
 */
export function sealTenant(database: Database, tenantId: string): Promise<{ events: number; eventSeq: number }> {
  return asSequencer(database, tenantId, async (tx, heads) => {
    await sealAudit(tx, tenantId, heads);
    return { events: await sealEvents(tx, tenantId, heads), eventSeq: heads.eventSeq };
  });
}
