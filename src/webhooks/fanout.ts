import type { EventConsumer } from "../events/consumers/consumer.js";
import { wakeAfterCommit } from "../events/consumers/wake-after-commit.js";
import { EVENT_TYPES } from "../events/outbox.js";
import { Prisma } from "../generated/prisma/client.js";
import { NOTES_READ } from "../auth/visibility.js";

/**
 * The consumer that turns committed events into webhook deliveries: one per
 * enabled endpoint that wants the event's type, queued in the transaction
 * that moves its cursor, so that a delivery exists exactly once for each
 * event (and (endpoint, event) is unique besides). An internal note is not
 * queued for an endpoint whose API key may not read notes. `queued` wakes the
 * worker that sends them (src/webhooks/worker.ts), after a batch that queued any.
 */
export function webhookFanout(queued: () => void): EventConsumer {
  const worker = wakeAfterCommit(queued);
  return {
    name: "webhooks.fanout",
    types: EVENT_TYPES,
    transactional: true,
    batchSize: 500,
    async handle({ tenantId, events, tx }) {
      const rows = Prisma.sql`SELECT * FROM unnest(${events.map((e) => e.seq)}::int[], ${events.map((e) => e.type)}::text[], ${events.map((e) => e.internal)}::boolean[]) AS ev(seq, type, internal)`;
      if (await tx!.$executeRaw(queueDeliveriesFor(tenantId, rows))) worker.queued(tenantId);
    },
    afterCommit: worker.afterCommit,
  };
}

/** The INSERT of the deliveries of `events` (SQL yielding seq, type, internal). */
function queueDeliveriesFor(tenantId: string, events: Prisma.Sql): Prisma.Sql {
  // Timestamps as the application writes them (UTC, from its clock), like every Prisma-written column.
  const now = new Date().toISOString();
  return Prisma.sql`
    INSERT INTO "WebhookDelivery" ("id", "tenantId", "endpointId", "eventSeq", "eventType", "status", "attempts", "nextAttemptAt", "createdAt")
    SELECT gen_random_uuid(), e."tenantId", e."id", ev.seq, ev.type, 'PENDING', 0, ${now}::timestamp, ${now}::timestamp
    FROM "WebhookEndpoint" e
    JOIN "ApiKey" k ON k."id" = e."apiKeyId" AND k."tenantId" = e."tenantId"
    CROSS JOIN (${events}) AS ev
    WHERE e."tenantId" = ${tenantId}::uuid
      AND e."enabled"
      AND ev.type = ANY(e."eventTypes")
      AND (NOT ev.internal OR ${NOTES_READ} = ANY(k."scopes"))
    ON CONFLICT ("endpointId", "eventSeq") DO NOTHING`;
}
