import { z } from "zod";
import { ActorType } from "../audit/schema.js";
import { Contact } from "../contacts/schema.js";
import { requireViewer } from "../context.js";
import { builder } from "../graphql/builder.js";
import { needsConsent, personal } from "../privacy/labels.js";
import { Message, Ticket, TicketPriority } from "../tickets/schema.js";
import { localeSchema } from "../validation.js";
import type { AiClassification, Scored } from "./contract.js";
import { LOCAL_PROVIDER } from "./local/provider.js";
import { SPECIAL_CATEGORIES, type SpecialCategory } from "./pseudonymise/special-categories.js";
import * as ai from "./service.js";
import { aiSettingsOf, updateAiSettings } from "./settings.js";

const AiTone = builder.enumType("AiTone", { values: ["FRIENDLY", "FORMAL", "CONCISE"] as const });
const AiSuggestionKind = builder.enumType("AiSuggestionKind", { values: ["REPLY", "SUMMARY", "CLASSIFICATION", "TRANSLATION"] as const });
const Sentiment = builder.enumType("Sentiment", { values: ["NEGATIVE", "NEUTRAL", "POSITIVE"] as const });
const SpecialCategoryEnum = builder.enumType("SpecialCategory", {
  description: "Special categories of personal data (GDPR art. 9) and criminal records (art. 10).",
  values: Object.fromEntries(Object.entries(SPECIAL_CATEGORIES).map(([name, c]) => [name, { description: c.description }])) as Record<
    SpecialCategory,
    { description: string }
  >,
});

const AiLabel = builder.objectRef<Scored<string>>("AiLabel").implement({
  fields: (t) => ({
    value: t.exposeString("value"),
    confidence: t.exposeFloat("confidence", { description: "0 to 1" }),
  }),
});
const AiPriority = builder.objectRef<NonNullable<AiClassification["priority"]>>("AiPriority").implement({
  fields: (t) => ({ value: t.expose("value", { type: TicketPriority }), confidence: t.exposeFloat("confidence") }),
});
const AiSentiment = builder.objectRef<NonNullable<AiClassification["sentiment"]>>("AiSentiment").implement({
  fields: (t) => ({ value: t.expose("value", { type: Sentiment }), confidence: t.exposeFloat("confidence") }),
});
const AiClassificationRef = builder.objectRef<AiClassification>("AiClassification").implement({
  description: "What a model suggests about a ticket. Nothing is applied: set tags and priority with updateTicket.",
  fields: (t) => ({
    tags: t.field({ type: [AiLabel], description: "Tag names the tenant uses, best first", resolve: (c) => c.tags }),
    priority: t.field({ type: AiPriority, nullable: true, resolve: (c) => c.priority }),
    language: t.field({
      type: AiLabel,
      nullable: true,
      description: "ISO 639-1 code of what the customer wrote",
      resolve: (c) => c.language,
    }),
    sentiment: t.field({ type: AiSentiment, nullable: true, description: "The customer's mood", resolve: (c) => c.sentiment }),
  }),
});

const AiSuggestion = builder.prismaNode("AiSuggestion", {
  id: { field: "id" },
  description: "A suggestion an AI operation made, and whether an agent took it. Its text is not kept.",
  authScopes: { permission: "ai:use" },
  fields: (t) => ({
    kind: t.field({ type: AiSuggestionKind, resolve: (s) => s.kind as ai.SuggestionKind }),
    ticket: t.relation("ticket"),
    provider: t.exposeString("provider", { description: "The plugin that answered, or local" }),
    model: t.exposeString("model"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    createdByType: t.expose("createdByType", { type: ActorType }),
    createdById: t.exposeString("createdById", { nullable: true }),
    accepted: t.boolean({ resolve: (s) => s.acceptedAt !== null }),
    acceptedAt: t.expose("acceptedAt", { type: "DateTime", nullable: true }),
    acceptedByType: t.expose("acceptedByType", { type: ActorType, nullable: true }),
    acceptedById: t.exposeString("acceptedById", { nullable: true }),
  }),
});

const AiAnswer = builder.objectRef<ai.AiAnswer>("AiAnswer").implement({
  description:
    "What an AI operation suggests: for an agent to use, edit or ignore. Nothing is sent to the customer or changed on the ticket by itself.",
  fields: (t) => ({
    suggestion: t.prismaField({
      type: "AiSuggestion",
      nullable: true,
      description: "The suggestion to pass to acceptSuggestion when the agent takes it; null when there was nothing to suggest",
      resolve: (query, a, _args, ctx) =>
        a.suggestionId ? ctx.db.aiSuggestion.findUnique({ ...query, where: { id: a.suggestionId } }) : null,
    }),
    kind: t.field({ type: AiSuggestionKind, resolve: (a) => a.kind }),
    ticket: t.prismaField({
      type: "Ticket",
      resolve: (query, a, _args, ctx) => ctx.db.ticket.findUniqueOrThrow({ ...query, where: { id: a.ticketId } }),
    }),
    text: t.string({
      nullable: true,
      description: "The reply, summary or translation, with the people's identifiers filled in again",
      ...personal("user.content.message"),
      resolve: (a) => a.text,
    }),
    alternatives: t.stringList({
      description: "Other candidate replies, best first",
      ...personal("user.content.message"),
      resolve: (a) => a.alternatives,
    }),
    sourceTickets: t.prismaField({
      type: ["Ticket"],
      description: "The solved tickets a local reply suggestion was taken from",
      resolve: async (query, a, _args, ctx) => {
        if (!a.sourceTicketIds.length) return [];
        const found = await ctx.db.ticket.findMany({ ...query, where: { id: { in: a.sourceTicketIds } } });
        return a.sourceTicketIds.flatMap((id) => found.filter((f) => f.id === id));
      },
    }),
    classification: t.field({ type: AiClassificationRef, nullable: true, resolve: (a) => a.classification }),
    provider: t.exposeString("provider", { description: "The plugin that answered, or local (in this process)" }),
    model: t.exposeString("model"),
    fellBackFrom: t.exposeString("fellBackFrom", {
      nullable: true,
      description: "The plugin that could not answer, when the local provider answered instead",
    }),
    truncated: t.exposeBoolean("truncated", { description: "The ticket was longer than the prompt budget: see notices" }),
    notices: t.exposeStringList("notices", { description: "What the agent should know about this answer" }),
  }),
});

const consent = needsConsent("ai.assistance");
const DESCRIBE =
  "Needs ai:use and tickets:read. Identifiers are pseudonymised before any model sees the text; refused with CONSENT_REQUIRED when someone on the ticket objected to ai.assistance, PROCESSING_RESTRICTED when restricted, SENSITIVE_DATA for special categories the tenant does not allow, AI_DISABLED when the tenant turned AI off; PROVIDER_UNAVAILABLE when the provider fails and no fallback answers.";

builder.mutationField("suggestReply", (t) =>
  t.field({
    type: AiAnswer,
    nullable: true,
    description: `A reply an agent may send, edit or ignore. ${DESCRIBE}`,
    authScopes: { permission: "ai:use" },
    ...consent,
    args: {
      ticketId: t.arg.globalID({ for: Ticket, required: true }),
      tone: t.arg({ type: AiTone }),
      locale: t.arg.string({ description: "The language to answer in; the customer's by default", validate: localeSchema }),
    },
    resolve: (_r, args, ctx) => ai.suggestReply(ctx, args.ticketId.id, args.tone ?? null, args.locale ?? null),
  }),
);

builder.mutationField("summarizeTicket", (t) =>
  t.field({
    type: AiAnswer,
    nullable: true,
    description: `A short summary of the ticket. ${DESCRIBE}`,
    authScopes: { permission: "ai:use" },
    ...consent,
    args: { ticketId: t.arg.globalID({ for: Ticket, required: true }) },
    resolve: (_r, args, ctx) => ai.summarizeTicket(ctx, args.ticketId.id),
  }),
);

builder.mutationField("classifyTicket", (t) =>
  t.field({
    type: AiAnswer,
    nullable: true,
    description: `Suggested tags and priority (the tenant's own model), language and sentiment, each with a confidence. ${DESCRIBE}`,
    authScopes: { permission: "ai:use" },
    ...consent,
    args: { ticketId: t.arg.globalID({ for: Ticket, required: true }) },
    resolve: (_r, args, ctx) => ai.classifyTicket(ctx, args.ticketId.id),
  }),
);

builder.mutationField("translateMessage", (t) =>
  t.field({
    type: AiAnswer,
    nullable: true,
    description: `The message in another language, by a translation plugin (DeepL, OpenAI). ${DESCRIBE}`,
    authScopes: { permission: "ai:use" },
    ...consent,
    args: {
      messageId: t.arg.globalID({ for: Message, required: true }),
      targetLocale: t.arg.string({ required: true, validate: localeSchema }),
    },
    resolve: (_r, args, ctx) => ai.translateMessage(ctx, args.messageId.id, args.targetLocale),
  }),
);

const SimilarTicket = builder.objectRef<{ ticketId: string; score: number }>("SimilarTicket").implement({
  fields: (t) => ({
    ticket: t.prismaField({
      type: "Ticket",
      resolve: (query, s, _args, ctx) => ctx.db.ticket.findUniqueOrThrow({ ...query, where: { id: s.ticketId } }),
    }),
    score: t.exposeFloat("score", {
      description:
        "How alike, higher is closer: the search backend's relevance (full-text rank on the built-in search, more_like_this score on Elasticsearch), comparable within one answer only",
    }),
  }),
});

const SimilarTickets = builder.objectRef<{ tickets: { ticketId: string; score: number }[] }>("SimilarTickets").implement({
  fields: (t) => ({
    tickets: t.field({ type: [SimilarTicket], description: "Best first", resolve: (s) => s.tickets }),
    provider: t.string({ description: "Always local: the tenant's own search backend finds them", resolve: () => LOCAL_PROVIDER }),
  }),
});

builder.queryField("similarTickets", (t) =>
  t.field({
    type: SimilarTickets,
    nullable: true,
    description: `The tenant's solved and closed tickets most like this one, best first, found by the tenant's search backend from the subject and public messages (internal notes are never compared). ${DESCRIBE}`,
    authScopes: { permission: "ai:use" },
    ...consent,
    args: {
      ticketId: t.arg.globalID({ for: Ticket, required: true }),
      first: t.arg.int({ defaultValue: 5, validate: z.number().int().min(1).max(20) }),
    },
    resolve: async (_r, args, ctx) => ({ tickets: await ai.similarTickets(ctx, args.ticketId.id, args.first ?? 5) }),
  }),
);

builder.mutationField("acceptSuggestion", (t) =>
  t.prismaField({
    type: "AiSuggestion",
    description: "Records that the agent took a suggestion (audited, with the digest of what the model said). Applies nothing by itself.",
    authScopes: { permission: "ai:use" },
    args: { id: t.arg.globalID({ for: AiSuggestion, required: true }) },
    resolve: async (query, _r, args, ctx) => {
      const { id } = await ai.acceptSuggestion(ctx, args.id.id);
      return ctx.db.aiSuggestion.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

// ---- the record of model calls ----

const AiCall = builder.prismaNode("PluginCall", {
  variant: "AiCall",
  id: { field: "id" },
  description: "One call to an AI model, through a plugin or in this process (provider local): never the text, only digests.",
  authScopes: { permission: "privacy:manage" },
  findUnique: (id) => ({ id, model: { not: null } }),
  fields: (t) => ({
    provider: t.exposeString("pluginId", { description: "The plugin called, or local" }),
    model: t.string({ resolve: (c) => c.model ?? "" }),
    purpose: t.exposeString("purpose"),
    operation: t.exposeString("operation", { description: "suggestReply, summarize, classify, translate or similar" }),
    ticketId: t.exposeString("ticketId", { nullable: true, description: "The ticket it was about, by raw id" }),
    messageId: t.exposeString("messageId", { nullable: true }),
    subjectIds: t.exposeStringList("subjectIds", { description: "The contacts whose data the call carried, by raw id" }),
    promptSha256: t.exposeString("promptSha256", {
      nullable: true,
      description: "sha256 of the pseudonymised prompt the provider received",
    }),
    answerSha256: t.exposeString("answerSha256", {
      nullable: true,
      description: "sha256 of the answer as the provider gave it; null when none came",
    }),
    inputTokens: t.exposeInt("inputTokens", { nullable: true, description: "As the provider reported them" }),
    outputTokens: t.exposeInt("outputTokens", { nullable: true }),
    latencyMs: t.exposeInt("durationMs"),
    outcome: t.exposeString("outcome", { description: "OK, REFUSED (before any model saw the text) or FAILED" }),
    errorCode: t.exposeString("errorCode", { nullable: true }),
    at: t.expose("at", { type: "DateTime" }),
  }),
});

const AiCallFilter = builder.inputType("AiCallFilter", {
  description: "All given conditions must hold.",
  fields: (t) => ({
    ticketId: t.globalID({ for: Ticket }),
    contactId: t.globalID({ for: Contact, description: "Calls that carried this person's data" }),
    provider: t.string({ validate: z.string().min(1).max(64) }),
    operation: t.string({ validate: z.string().min(1).max(64) }),
    outcome: t.string({ validate: z.enum(["OK", "REFUSED", "FAILED"]) }),
    since: t.field({ type: "DateTime", description: "At or after" }),
    until: t.field({ type: "DateTime", description: "Before" }),
  }),
});

interface AiCallFilterArgs {
  ticketId?: { id: string } | null;
  contactId?: { id: string } | null;
  provider?: string | null;
  operation?: string | null;
  outcome?: string | null;
  since?: Date | null;
  until?: Date | null;
}

const aiCallWhere = (f: AiCallFilterArgs | null | undefined) => ({
  model: { not: null },
  ...(f?.ticketId ? { ticketId: f.ticketId.id } : {}),
  ...(f?.contactId ? { subjectIds: { has: f.contactId.id } } : {}),
  ...(f?.provider ? { pluginId: f.provider } : {}),
  ...(f?.operation ? { operation: f.operation } : {}),
  ...(f?.outcome ? { outcome: f.outcome } : {}),
  ...(f?.since || f?.until ? { at: { ...(f.since ? { gte: f.since } : {}), ...(f.until ? { lt: f.until } : {}) } } : {}),
});

builder.queryField("aiCalls", (t) =>
  t.prismaConnection({
    type: AiCall,
    cursor: "id",
    description: "Every call to an AI model, newest first: who asked the model what (by digest), about whom, with what outcome.",
    authScopes: { permission: "privacy:manage" },
    args: { filter: t.arg({ type: AiCallFilter }) },
    totalCount: (_p, args, ctx) => ctx.db.pluginCall.count({ where: aiCallWhere(args.filter) }),
    resolve: (query, _p, args, ctx) =>
      ctx.db.pluginCall.findMany({ ...query, where: aiCallWhere(args.filter), orderBy: [{ at: "desc" }, { id: "asc" }] }),
  }),
);

// ---- the tenant's settings ----

const AiSettings = builder.objectRef<Awaited<ReturnType<typeof aiSettingsOf>>>("AiSettings").implement({
  description: "The tenant's choices about AI assistance.",
  fields: (t) => ({
    enabled: t.exposeBoolean("enabled", { description: "False: every AI operation is refused with AI_DISABLED, the local provider's too" }),
    allowedSpecialCategories: t.field({
      type: [SpecialCategoryEnum],
      description: "Special categories a text may mention and still be sent to a model; none by default",
      resolve: (s) => s.allowedSpecialCategories,
    }),
    fallbackToLocal: t.exposeBoolean("fallbackToLocal", {
      description: "When an AI plugin cannot answer, the local provider answers instead",
    }),
  }),
});

builder.queryField("aiSettings", (t) =>
  t.field({
    type: AiSettings,
    authScopes: { anyPermission: ["ai:use", "privacy:manage"] },
    resolve: (_r, _a, ctx) => {
      requireViewer(ctx);
      return aiSettingsOf(ctx.db);
    },
  }),
);

const AiSettingsInput = builder.inputType("AiSettingsInput", {
  description: "Only the fields given change.",
  fields: (t) => ({
    enabled: t.boolean(),
    allowedSpecialCategories: t.field({ type: [SpecialCategoryEnum] }),
    fallbackToLocal: t.boolean(),
  }),
});

builder.mutationField("updateAiSettings", (t) =>
  t.field({
    type: AiSettings,
    description: "Turns AI assistance off or on for the whole tenant, allows special categories, and chooses the fallback. Audited.",
    authScopes: { permission: "privacy:manage" },
    args: { input: t.arg({ type: AiSettingsInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      updateAiSettings(ctx, {
        enabled: input.enabled ?? undefined,
        allowedSpecialCategories: input.allowedSpecialCategories ?? undefined,
        fallbackToLocal: input.fallbackToLocal ?? undefined,
      }),
  }),
);
