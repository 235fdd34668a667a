/** What queueing deliveries needs of a transaction (a tenant-scoped one, in practice). */
export interface FanoutTx {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
}

export interface QueuedEvent {
  seq: number;
  type: string;
  internal: boolean;
}

/**
 * Queues one delivery per enabled endpoint that wants each event, in the
 * transaction that records the events: a change that rolls back queues
 * nothing, one that commits cannot lose its deliveries across a restart, and
 * (endpoint, event) is unique, so nothing is queued twice. An internal note is
 * not queued for an endpoint whose API key may not read notes.
 */
export async function queueDeliveries(tx: FanoutTx, tenantId: string, events: QueuedEvent[]): Promise<void> {
  if (!events.length) return;
  // Timestamps as the application writes them (UTC, from its clock), like every Prisma-written column.
  const now = new Date().toISOString();
  await tx.$executeRaw`
    INSERT INTO "WebhookDelivery" ("id", "tenantId", "endpointId", "eventSeq", "eventType", "status", "attempts", "nextAttemptAt", "createdAt")
    SELECT gen_random_uuid(), e."tenantId", e."id", ev.seq, ev.type, 'PENDING', 0, ${now}::timestamp, ${now}::timestamp
    FROM "WebhookEndpoint" e
    JOIN "ApiKey" k ON k."id" = e."apiKeyId" AND k."tenantId" = e."tenantId"
    CROSS JOIN unnest(${events.map((e) => e.seq)}::int[], ${events.map((e) => e.type)}::text[], ${events.map((e) => e.internal)}::boolean[]) AS ev(seq, type, internal)
    WHERE e."tenantId" = ${tenantId}::uuid
      AND e."enabled"
      AND ev.type = ANY(e."eventTypes")
      AND (NOT ev.internal OR 'notes:read' = ANY(k."scopes"))
    ON CONFLICT ("endpointId", "eventSeq") DO NOTHING`;
}
