import { encodeGlobalID } from "@pothos/plugin-relay";
import { z } from "zod";
import { ApiKey } from "../api-keys/schema.js";
import { builder } from "../graphql/builder.js";
import { TicketEventType } from "../tickets/events-schema.js";
import * as webhooks from "./service.js";
import { storedSecrets, webhookIdOf } from "./signature.js";

/**
 * Webhooks for partners who prefer HTTP to a subscription. Managing them
 * needs agents:manage, like the API keys whose permissions shape them.
 */
const MANAGE = { permission: "agents:manage" } as const;

const WebhookDeliveryStatus = builder.enumType("WebhookDeliveryStatus", {
  values: {
    PENDING: { description: "Queued, being sent, or waiting for its next retry" },
    SUCCEEDED: { description: "The endpoint answered 2xx" },
    FAILED: { description: "Given up: retries exhausted, or the endpoint's API key was revoked" },
  } as const,
});

const WebhookSigningSecret = builder.objectRef<{ createdAt: string; expiresAt: string | null }>("WebhookSigningSecret").implement({
  description: "A secret that signs deliveries. The secret itself is shown only when created or rotated.",
  fields: (t) => ({
    createdAt: t.field({ type: "DateTime", resolve: (s) => new Date(s.createdAt) }),
    expiresAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "Null for the current secret; a rotated-out one signs alongside the new one until then",
      resolve: (s) => (s.expiresAt ? new Date(s.expiresAt) : null),
    }),
  }),
});

const WebhookEndpoint = builder.prismaNode("WebhookEndpoint", {
  id: { field: "id" },
  description: "A partner's HTTP endpoint that receives ticket events, signed the Standard Webhooks way.",
  authScopes: MANAGE,
  fields: (t) => ({
    url: t.exposeString("url"),
    eventTypes: t.field({ type: [TicketEventType], resolve: (e) => e.eventTypes }),
    selection: t.exposeString("selection", {
      description: "The TicketEvent fields each delivery carries, resolved with the API key's permissions",
    }),
    apiKey: t.prismaField({
      type: "ApiKey",
      nullable: true,
      description: "Deliveries carry what this key may read; revoking it stops them",
      resolve: (q, e, _a, ctx) => ctx.db.apiKey.findUnique({ ...q, where: { id: e.apiKeyId } }),
    }),
    enabled: t.exposeBoolean("enabled", { description: "False once disabled by an admin or because its API key was revoked" }),
    signingSecrets: t.field({
      type: [WebhookSigningSecret],
      description: "The secrets signing deliveries now, current first",
      resolve: (e) => storedSecrets(e.secrets).filter((s) => s.expiresAt === null || new Date(s.expiresAt) > new Date()),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const WebhookDelivery = builder.prismaNode("WebhookDelivery", {
  id: { field: "id" },
  description: "One event for one endpoint, with its attempts. Payloads are built at each attempt and never stored.",
  authScopes: MANAGE,
  fields: (t) => ({
    webhookId: t.string({
      description: "The webhook-id header: the same on every attempt and re-send, so receivers can deduplicate",
      resolve: (d) => webhookIdOf(d.id),
    }),
    endpoint: t.relation("endpoint"),
    eventSeq: t.exposeInt("eventSeq", { description: "The event's sequence number (TicketEvent.seq)" }),
    eventType: t.field({ type: TicketEventType, resolve: (d) => d.eventType }),
    status: t.field({ type: WebhookDeliveryStatus, resolve: (d) => d.status as (typeof webhooks.DELIVERY_STATUSES)[number] }),
    attempts: t.exposeInt("attempts"),
    nextAttemptAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When PENDING: the next attempt (or the end of the current one's lease)",
      resolve: (d) => (d.status === "PENDING" ? d.nextAttemptAt : null),
    }),
    lastAttemptAt: t.expose("lastAttemptAt", { type: "DateTime", nullable: true }),
    lastStatusCode: t.exposeInt("lastStatusCode", { nullable: true, description: "The HTTP status of the last answer" }),
    lastError: t.exposeString("lastError", { nullable: true, description: "Why the last attempt did not count, or why delivery stopped" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.queryField("webhookEndpoints", (t) =>
  t.prismaConnection({
    type: "WebhookEndpoint",
    cursor: "id",
    description: "Your tenant's webhook endpoints, newest first.",
    authScopes: MANAGE,
    totalCount: (_p, _a, ctx) => ctx.db.webhookEndpoint.count(),
    resolve: (query, _p, _a, ctx) => ctx.db.webhookEndpoint.findMany({ ...query, orderBy: [{ createdAt: "desc" }, { id: "asc" }] }),
  }),
);

builder.queryField("webhookDeliveries", (t) =>
  t.prismaConnection({
    type: "WebhookDelivery",
    cursor: "id",
    description: "The delivery log, newest first: every event queued for an endpoint, its attempts and outcome.",
    authScopes: MANAGE,
    args: {
      endpointId: t.arg.globalID({ for: WebhookEndpoint }),
      status: t.arg({ type: WebhookDeliveryStatus }),
    },
    totalCount: async (_p, args, ctx) => ctx.db.webhookDelivery.count({ where: await deliveryWhere(ctx, args) }),
    resolve: async (query, _p, args, ctx) =>
      ctx.db.webhookDelivery.findMany({
        ...query,
        where: await deliveryWhere(ctx, args),
        orderBy: [{ createdAt: "desc" }, { eventSeq: "desc" }, { id: "asc" }],
      }),
  }),
);

async function deliveryWhere(
  ctx: Parameters<typeof webhooks.findEndpoint>[0],
  args: { endpointId?: { id: string } | null; status?: string | null },
) {
  // Another tenant's endpoint is as missing as one that never existed.
  if (args.endpointId) await webhooks.findEndpoint(ctx, args.endpointId.id);
  return {
    ...(args.endpointId ? { endpointId: args.endpointId.id } : {}),
    ...(args.status ? { status: args.status } : {}),
  };
}

const selectionArg = z.string().max(4000);

const CreateWebhookEndpointInput = builder.inputType("CreateWebhookEndpointInput", {
  fields: (t) => ({
    url: t.string({ required: true, description: "http(s); public addresses only unless the server allows private ones" }),
    eventTypes: t.field({ type: [TicketEventType], required: true }),
    selection: t.string({
      required: true,
      validate: selectionArg,
      description: "TicketEvent fields, as in `subscription { ticketEvents { <selection> } }`, e.g. `seq type ticket { id status }`",
    }),
    apiKeyId: t.globalID({
      required: true,
      for: ApiKey,
      description: "Payloads carry only what this key may read (it needs TICKETS_READ)",
    }),
  }),
});

const UpdateWebhookEndpointInput = builder.inputType("UpdateWebhookEndpointInput", {
  fields: (t) => ({
    url: t.string(),
    eventTypes: t.field({ type: [TicketEventType] }),
    selection: t.string({ validate: selectionArg }),
    apiKeyId: t.globalID({ for: ApiKey }),
    enabled: t.boolean(),
  }),
});

const CreateWebhookEndpointPayload = builder
  .objectRef<{ endpoint: { id: string }; secret: string }>("CreateWebhookEndpointPayload")
  .implement({
    fields: (t) => ({
      endpoint: t.prismaField({
        type: "WebhookEndpoint",
        resolve: (q, p, _a, ctx) => ctx.db.webhookEndpoint.findUniqueOrThrow({ ...q, where: { id: p.endpoint.id } }),
      }),
      secret: t.exposeString("secret", { description: "The signing secret (whsec_…), shown only now" }),
    }),
  });

const RotateWebhookSecretPayload = builder
  .objectRef<{ endpoint: { id: string }; secret: string; previousSecretsExpireAt: Date }>("RotateWebhookSecretPayload")
  .implement({
    fields: (t) => ({
      endpoint: t.prismaField({
        type: "WebhookEndpoint",
        resolve: (q, p, _a, ctx) => ctx.db.webhookEndpoint.findUniqueOrThrow({ ...q, where: { id: p.endpoint.id } }),
      }),
      secret: t.exposeString("secret", { description: "The new signing secret, shown only now" }),
      previousSecretsExpireAt: t.expose("previousSecretsExpireAt", {
        type: "DateTime",
        description: "Until then, deliveries carry a signature with the previous secret too",
      }),
    }),
  });

builder.mutationField("createWebhookEndpoint", (t) =>
  t.field({
    type: CreateWebhookEndpointPayload,
    authScopes: MANAGE,
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true }) },
    resolve: (_r, { input }, ctx, info) =>
      webhooks.createEndpoint(ctx, info.schema, { ...input, apiKeyId: input.apiKeyId.id, eventTypes: input.eventTypes as string[] }),
  }),
);

builder.mutationField("updateWebhookEndpoint", (t) =>
  t.prismaField({
    type: "WebhookEndpoint",
    authScopes: MANAGE,
    args: {
      id: t.arg.globalID({ required: true, for: WebhookEndpoint }),
      input: t.arg({ type: UpdateWebhookEndpointInput, required: true }),
    },
    resolve: async (query, _r, { id, input }, ctx, info) => {
      await webhooks.updateEndpoint(ctx, info.schema, id.id, {
        ...input,
        apiKeyId: input.apiKeyId?.id ?? null,
        eventTypes: (input.eventTypes as string[] | null | undefined) ?? null,
      });
      return ctx.db.webhookEndpoint.findUniqueOrThrow({ ...query, where: { id: id.id } });
    },
  }),
);

builder.mutationField("deleteWebhookEndpoint", (t) =>
  t.id({
    description: "Deletes the endpoint and its delivery log; returns its ID.",
    authScopes: MANAGE,
    args: { id: t.arg.globalID({ required: true, for: WebhookEndpoint }) },
    resolve: async (_r, { id }, ctx) => {
      await webhooks.deleteEndpoint(ctx, id.id);
      return encodeGlobalID("WebhookEndpoint", id.id);
    },
  }),
);

builder.mutationField("rotateWebhookSecret", (t) =>
  t.field({
    type: RotateWebhookSecretPayload,
    description: "A new signing secret. The previous one keeps signing alongside it for a grace period (24 h by default).",
    authScopes: MANAGE,
    args: { id: t.arg.globalID({ required: true, for: WebhookEndpoint }) },
    resolve: (_r, { id }, ctx) => webhooks.rotateSecret(ctx, id.id),
  }),
);

builder.mutationField("resendWebhookDelivery", (t) =>
  t.prismaField({
    type: "WebhookDelivery",
    description: "Sends a delivered or failed delivery again, with the same webhook-id and a fresh attempt count.",
    authScopes: MANAGE,
    args: { id: t.arg.globalID({ required: true, for: WebhookDelivery }) },
    resolve: async (query, _r, { id }, ctx) => {
      // The delivery as queued; then the workers go.
      const queued = await webhooks.resendDelivery(ctx, id.id, query);
      webhooks.wakeDeliveryWorkers(ctx);
      return queued;
    },
  }),
);
