import { Prisma } from "../generated/prisma/client.js";
import { NOTES_READ } from "../tickets/visibility.js";

/**
 * The INSERT that queues one delivery per enabled endpoint that wants each of
 * `events` (a relation with columns seq, type, internal: the events the
 * sequencer has just numbered, in the same statement). Queued in the
 * transaction that numbers the events, a delivery exists exactly for each
 * numbered event, none is lost across a restart, and (endpoint, event) is
 * unique, so nothing is queued twice. An internal note is not queued for an
 * endpoint whose API key may not read notes.
 */
export function queueDeliveriesFor(tenantId: string, events: Prisma.Sql): Prisma.Sql {
  // Timestamps as the application writes them (UTC, from its clock), like every Prisma-written column.
  const now = new Date().toISOString();
  return Prisma.sql`
    INSERT INTO "WebhookDelivery" ("id", "tenantId", "endpointId", "eventSeq", "eventType", "status", "attempts", "nextAttemptAt", "createdAt")
    SELECT gen_random_uuid(), e."tenantId", e."id", ev.seq, ev.type, 'PENDING', 0, ${now}::timestamp, ${now}::timestamp
    FROM "WebhookEndpoint" e
    JOIN "ApiKey" k ON k."id" = e."apiKeyId" AND k."tenantId" = e."tenantId"
    CROSS JOIN ${events} AS ev
    WHERE e."tenantId" = ${tenantId}::uuid
      AND e."enabled"
      AND ev.type = ANY(e."eventTypes")
      AND (NOT ev.internal OR ${NOTES_READ} = ANY(k."scopes"))
    ON CONFLICT ("endpointId", "eventSeq") DO NOTHING`;
}
