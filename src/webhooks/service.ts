import type { GraphQLSchema } from "graphql";
import { AppError, notFound, validationError } from "../errors.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { outboundGuard } from "../outbound/guard.js";
import { checkOutboundUrl } from "../outbound/url.js";
import { parseSelection } from "./selection.js";
import { generateSecret, liveSecrets, storedSecrets, type StoredSecret } from "./signature.js";

export interface EndpointInput {
  url?: string | null;
  eventTypes?: readonly string[] | null;
  selection?: string | null;
  apiKeyId?: string | null;
  enabled?: boolean | null;
}

export const DELIVERY_STATUSES = ["PENDING", "SUCCEEDED", "FAILED"] as const;

/**
 * An endpoint must be http(s), carry no credentials, and resolve only to
 * addresses the outbound guard allows (public ones, and what the operator
 * listed in OUTBOUND_ALLOW_PRIVATE). Delivery checks the address again.
 */
async function checkUrl(ctx: Context, raw: string): Promise<string> {
  const url = await checkOutboundUrl(outboundGuard(ctx.config), raw, ["input", "url"]);
  if (url.username || url.password) {
    throw validationError([{ path: ["input", "url"], message: "must not carry credentials; the signature authenticates us" }]);
  }
  url.hash = "";
  return url.toString();
}

/** The API key whose permissions shape the payloads: this tenant's, not revoked, able to read tickets. */
async function checkApiKey(ctx: Context, id: string) {
  const key = await ctx.db.apiKey.findUnique({ where: { id } });
  if (!key) throw notFound("API key");
  if (key.revokedAt) throw validationError([{ path: ["input", "apiKeyId"], message: "this API key is revoked" }]);
  if (!key.scopes.includes("tickets:read")) {
    throw validationError([{ path: ["input", "apiKeyId"], message: "the API key needs TICKETS_READ to receive ticket events" }]);
  }
  return key;
}

function checkEventTypes(types: readonly string[]): string[] {
  if (!types.length) throw validationError([{ path: ["input", "eventTypes"], message: "choose at least one event type" }]);
  return [...new Set(types)];
}

const sealNew = (ctx: Context, secret: string): StoredSecret => ({
  sealed: ctx.plugins.secrets.seal(secret),
  createdAt: new Date().toISOString(),
  expiresAt: null,
});

export async function findEndpoint(ctx: Context, id: string) {
  const endpoint = await ctx.db.webhookEndpoint.findUnique({ where: { id } });
  if (!endpoint) throw notFound("Webhook endpoint");
  return endpoint;
}

export async function createEndpoint(
  ctx: Context,
  schema: GraphQLSchema,
  input: { url: string; eventTypes: readonly string[]; selection: string; apiKeyId: string },
) {
  const viewer = requireViewer(ctx);
  // The key first: another tenant's key is NOT_FOUND, whatever else is wrong.
  await checkApiKey(ctx, input.apiKeyId);
  const eventTypes = checkEventTypes(input.eventTypes);
  parseSelection(schema, input.selection);
  const url = await checkUrl(ctx, input.url);
  const secret = generateSecret();
  const endpoint = await ctx.db.webhookEndpoint.create({
    data: {
      tenantId: viewer.tenantId,
      url,
      eventTypes,
      selection: input.selection.trim(),
      apiKeyId: input.apiKeyId,
      secrets: [sealNew(ctx, secret)] as object[],
    },
  });
  return { endpoint, secret };
}

export async function updateEndpoint(ctx: Context, schema: GraphQLSchema, id: string, input: EndpointInput) {
  const endpoint = await findEndpoint(ctx, id);
  const apiKeyId = input.apiKeyId ?? endpoint.apiKeyId;
  // Re-enabling (or changing the key) checks the key again: a revoked key stays stopped.
  if (input.apiKeyId || input.enabled) await checkApiKey(ctx, apiKeyId);
  if (input.selection != null) parseSelection(schema, input.selection);
  return ctx.db.webhookEndpoint.update({
    where: { id },
    data: {
      ...(input.url != null ? { url: await checkUrl(ctx, input.url) } : {}),
      ...(input.eventTypes != null ? { eventTypes: checkEventTypes(input.eventTypes) } : {}),
      ...(input.selection != null ? { selection: input.selection.trim() } : {}),
      ...(input.apiKeyId ? { apiKeyId } : {}),
      ...(input.enabled != null ? { enabled: input.enabled } : {}),
    },
  });
}

export async function deleteEndpoint(ctx: Context, id: string): Promise<void> {
  await findEndpoint(ctx, id);
  // Its deliveries go with it (the log of an endpoint that no longer exists says nothing).
  await ctx.db.webhookEndpoint.deleteMany({ where: { id } });
}

/**
 * A new signing secret, returned once. The previous ones keep signing next to
 * it for the grace period, so a partner can switch without losing a message.
 */
export async function rotateSecret(ctx: Context, id: string) {
  return ctx.db.$transaction(async (tx) => {
    // One rotation at a time per endpoint.
    const locked = await tx.$queryRaw<
      { id: string }[]
    >`SELECT "id" FROM "WebhookEndpoint" WHERE "id" = ${id}::uuid AND "tenantId" = ${requireViewer(ctx).tenantId}::uuid FOR UPDATE`;
    if (!locked.length) throw notFound("Webhook endpoint");
    const endpoint = await tx.webhookEndpoint.findUniqueOrThrow({ where: { id } });
    const now = new Date();
    const graceEnds = new Date(now.getTime() + ctx.config.webhooks.secretGraceMs);
    const previous = liveSecrets(storedSecrets(endpoint.secrets), now).map((s) => ({
      ...s,
      expiresAt: s.expiresAt && new Date(s.expiresAt) < graceEnds ? s.expiresAt : graceEnds.toISOString(),
    }));
    const secret = generateSecret();
    const updated = await tx.webhookEndpoint.update({ where: { id }, data: { secrets: [sealNew(ctx, secret), ...previous] as object[] } });
    return { endpoint: updated, secret, previousSecretsExpireAt: graceEnds };
  });
}

/**
 * Queues a delivery again, with the same webhook-id (receivers deduplicate on it) and a fresh
 * attempt count, and answers with the row as queued (`query`: what the caller selects of it).
 * One statement: read after it, the answer could show a worker's first attempt under way.
 */
export async function resendDelivery(ctx: Context, id: string, query: { select?: object; include?: object } = {}) {
  const delivery = await ctx.db.webhookDelivery.findUnique({ where: { id } });
  if (!delivery) throw notFound("Webhook delivery");
  if (delivery.status === "PENDING") throw new AppError("CONFLICT", "This delivery is already queued");
  const endpoint = await findEndpoint(ctx, delivery.endpointId);
  if (!endpoint.enabled) {
    throw validationError([{ path: ["id"], message: "the endpoint is disabled; enable it (with a valid API key) first" }]);
  }
  try {
    return await ctx.db.webhookDelivery.update({
      ...query,
      // Only as it was read: a worker or another resend that changed it meanwhile wins.
      where: { id, status: delivery.status },
      data: { status: "PENDING", attempts: 0, nextAttemptAt: new Date() },
    });
  } catch (err) {
    if ((err as { code?: unknown }).code === "P2025") throw new AppError("CONFLICT", "This delivery changed meanwhile; try again");
    throw err;
  }
}

/** Wakes the delivery workers of every instance (to event streams, a notice of seq 0 is nothing new). */
export function wakeDeliveryWorkers(ctx: Context): void {
  void ctx.realtime.bus.publish({ tenantId: requireViewer(ctx).tenantId, seq: 0 });
}
