import { recordAuditIn } from "../audit/service.js";
import { actorOf } from "../auth/actor.js";
import { visibleMessages } from "../auth/visibility.js";
import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { AppError, forbidden, notFound } from "../errors.js";
import { decideMany } from "../privacy/consent.js";
import { capability } from "../plugin-host/capabilities.js";
import { callModel, type AnswerDigest, type ChosenProvider, type ModelCallInput } from "./calls.js";
import type { AiClassification, AiOperation, AiProvider, AiTextAnswer, AiTone } from "./contract.js";
import { prepareConversation, type PreparedConversation } from "./conversation.js";
import { localModels } from "./local/models.js";
import { LOCAL_PROVIDER, LocalProvider } from "./local/provider.js";
import { ticketPeople, type TicketPeople } from "./pseudonymise/people.js";
import * as search from "../search/service.js";
import { aiSettingsOf, type AiSettingsShape } from "./settings.js";

export type SuggestionKind = "REPLY" | "SUMMARY" | "CLASSIFICATION" | "TRANSLATION";

/** What every AI operation answers: the suggestion to take or leave, and how it came about. */
export interface AiAnswer {
  suggestionId: string | null;
  kind: SuggestionKind;
  ticketId: string;
  text: string | null;
  alternatives: string[];
  sourceTicketIds: string[];
  classification: AiClassification | null;
  provider: string;
  model: string;
  fellBackFrom: string | null;
  truncated: boolean;
  notices: string[];
}

interface TicketContext {
  settings: AiSettingsShape;
  people: TicketPeople;
  prepared: PreparedConversation;
  ticketId: string;
  /** A reason not to call any model: special categories the tenant does not allow. */
  refusal?: AppError;
}

/** AI needs the ticket too: ai:use is checked on the field, reading tickets here. */
function assertMayRead(ctx: Context): void {
  requireViewer(ctx);
  if (!ctx.can("tickets:read")) throw forbidden("AI assistance on a ticket needs tickets:read as well as ai:use");
}

async function enabledSettings(ctx: Context): Promise<AiSettingsShape> {
  const settings = await aiSettingsOf(ctx.db);
  if (!settings.enabled) throw new AppError("AI_DISABLED", "AI assistance is turned off for this tenant (updateAiSettings)");
  return settings;
}

function sensitiveRefusal(prepared: PreparedConversation, settings: AiSettingsShape): AppError | undefined {
  const blocked = prepared.specialCategories.filter((c) => !settings.allowedSpecialCategories.includes(c));
  if (!blocked.length) return undefined;
  return new AppError(
    "SENSITIVE_DATA",
    `The text mentions special categories of personal data (${blocked.join(", ")}): it is not sent to any model unless the tenant's AI settings allow them`,
    { categories: blocked },
  );
}

/** The ticket as a provider may see it, with what the call needs to know: three statements. */
async function loadTicket(ctx: Context, ticketId: string): Promise<TicketContext> {
  assertMayRead(ctx);
  const settings = await enabledSettings(ctx);
  const [ticket, people, tenant] = await Promise.all([
    ctx.db.ticket.findUnique({
      where: { id: ticketId },
      select: {
        subject: true,
        messages: {
          where: visibleMessages(ctx),
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
          select: { body: true, authorType: true, internal: true },
        },
      },
    }),
    ticketPeople(ctx.db, ticketId),
    ctx.db.tenant.findFirst({ select: { defaultLocale: true } }),
  ]);
  if (!ticket || !people) throw notFound("Ticket");
  const prepared = prepareConversation(ticket, people, {
    maxTokens: ctx.config.ai.maxPromptTokens,
    tenantLocale: tenant?.defaultLocale ?? "en",
  });
  return { settings, people, prepared, ticketId, refusal: sensitiveRefusal(prepared, settings) };
}

function localProvider(ctx: Context, settings: AiSettingsShape, ticketId: string): LocalProvider {
  const { ai } = ctx.config;
  const models = localModels(ctx.database, {
    maxTickets: ai.trainingMaxTickets,
    refreshMs: ai.trainingRefreshMs,
    maxModels: ai.localModels,
  });
  return new LocalProvider(ctx.db, models.current(requireViewer(ctx).tenantId, settings.modelsInvalidatedAt), ticketId);
}

const offers = (provider: AiProvider, operation: AiOperation) => typeof provider[operation] === "function";

/** The first enabled AI plugin that offers the operation; else the local provider, when it does. */
async function choose(ctx: Context, operation: AiOperation, local: LocalProvider): Promise<ChosenProvider | null> {
  const plugin = await capability(ctx, "aiProvider", requireViewer(ctx).tenantId, (p) => offers(p, operation));
  if (plugin) return { id: plugin.pluginId, provider: plugin.value, external: true };
  return offers(local, operation) ? { id: LOCAL_PROVIDER, provider: local, external: false } : null;
}

/**
 * Runs an operation on the chosen provider; when a plugin cannot answer and
 * the tenant allows it, the local provider answers instead and says so. A
 * refusal (consent, restriction, special categories) is never worked around.
 */
async function withFallback<T>(
  ctx: Context,
  tc: TicketContext,
  operation: AiOperation,
  input: Omit<ModelCallInput, "operation" | "subjectIds" | "ticketId" | "refusal">,
  run: (provider: AiProvider, signal: AbortSignal) => Promise<T>,
  digest: (result: T) => AnswerDigest,
) {
  const local = localProvider(ctx, tc.settings, tc.ticketId);
  const chosen = await choose(ctx, operation, local);
  if (!chosen) {
    throw new AppError("PROVIDER_UNAVAILABLE", `No provider offers ${operation}: enable an AI plugin that does (docs/ai.md)`, {
      reason: "NO_PROVIDER",
    });
  }
  const call = { ...input, operation, subjectIds: tc.people.subjectIds, ticketId: tc.ticketId, refusal: tc.refusal };
  try {
    return { ...(await callModel(ctx, chosen, call, (signal) => run(chosen.provider, signal), digest)), chosen, fellBackFrom: null };
  } catch (err) {
    const canFallBack =
      chosen.external &&
      err instanceof AppError &&
      err.code === "PROVIDER_UNAVAILABLE" &&
      tc.settings.fallbackToLocal &&
      offers(local, operation);
    if (!canFallBack) throw err;
    const fallback: ChosenProvider = { id: LOCAL_PROVIDER, provider: local, external: false };
    const reason = (err.extensions as { reason?: string }).reason === "TIMEOUT" ? "did not answer in time" : "could not answer";
    ctx.log.warn({ provider: chosen.id, operation }, "AI provider unavailable; the local provider answers");
    const result = await callModel(ctx, fallback, call, (signal) => run(local, signal), digest);
    return {
      ...result,
      chosen: fallback,
      fellBackFrom: chosen.id,
      fallbackNotice: `${chosen.id} ${reason}: this is the local provider's answer.`,
    };
  }
}

/** Stores the suggestion (no text: the digest of the answer) for acceptSuggestion to point at. */
async function remember(
  ctx: Context,
  kind: SuggestionKind,
  ticketId: string,
  messageId: string | null,
  made: { callId: string; answerSha256: string; chosen: ChosenProvider },
): Promise<string> {
  const actor = actorOf(ctx);
  const row = await ctx.db.aiSuggestion.create({
    data: {
      tenantId: requireViewer(ctx).tenantId,
      ticketId,
      messageId,
      kind,
      callId: made.callId,
      provider: made.chosen.id,
      model: made.chosen.provider.model,
      answerSha256: made.answerSha256,
      createdByType: actor.type,
      createdById: actor.id,
    },
    select: { id: true },
  });
  return row.id;
}

function textAnswer(
  kind: SuggestionKind,
  tc: TicketContext,
  made: Awaited<ReturnType<typeof withFallback<AiTextAnswer>>> & { fallbackNotice?: string },
  suggestionId: string | null,
): AiAnswer {
  const p = tc.prepared.pseudonymiser;
  const answer = made.result;
  return {
    suggestionId,
    kind,
    ticketId: tc.ticketId,
    text: answer.text ? p.reidentify(answer.text) : null,
    alternatives: (answer.alternatives ?? []).map((a) => p.reidentify(a)),
    sourceTicketIds: answer.sourceTicketIds ?? [],
    classification: null,
    provider: made.chosen.id,
    model: answer.model ?? made.chosen.provider.model,
    fellBackFrom: made.fellBackFrom,
    truncated: tc.prepared.truncation !== null,
    notices: [made.fallbackNotice, tc.prepared.truncation, ...(answer.notices ?? [])].filter((n): n is string => !!n),
  };
}

const textDigest = (a: AiTextAnswer): AnswerDigest => ({
  text: [a.text, ...(a.alternatives ?? [])].join("\n"),
  inputTokens: a.inputTokens,
  outputTokens: a.outputTokens,
});

export async function suggestReply(ctx: Context, ticketId: string, tone: AiTone | null, locale: string | null): Promise<AiAnswer> {
  const tc = await loadTicket(ctx, ticketId);
  const request = { conversation: tc.prepared.conversation, tone, locale };
  const made = await withFallback(
    ctx,
    tc,
    "suggestReply",
    { prompt: request },
    (p, signal) => p.suggestReply!(request, signal),
    textDigest,
  );
  const id = made.result.text ? await remember(ctx, "REPLY", ticketId, null, made) : null;
  return textAnswer("REPLY", tc, made, id);
}

export async function summarizeTicket(ctx: Context, ticketId: string): Promise<AiAnswer> {
  const tc = await loadTicket(ctx, ticketId);
  const conversation = tc.prepared.conversation;
  const made = await withFallback(
    ctx,
    tc,
    "summarize",
    { prompt: conversation },
    (p, signal) => p.summarize!(conversation, signal),
    textDigest,
  );
  const id = made.result.text ? await remember(ctx, "SUMMARY", ticketId, null, made) : null;
  return textAnswer("SUMMARY", tc, made, id);
}

export async function classifyTicket(ctx: Context, ticketId: string): Promise<AiAnswer> {
  const tc = await loadTicket(ctx, ticketId);
  const conversation = tc.prepared.conversation;
  const made = await withFallback(
    ctx,
    tc,
    "classify",
    { prompt: conversation },
    (p, signal) => p.classify!(conversation, signal),
    (c) => ({ text: JSON.stringify({ ...c, notices: undefined }) }),
  );
  const c = made.result;
  const id = await remember(ctx, "CLASSIFICATION", ticketId, null, made);
  return {
    suggestionId: id,
    kind: "CLASSIFICATION",
    ticketId,
    text: null,
    alternatives: [],
    sourceTicketIds: [],
    classification: c,
    provider: made.chosen.id,
    model: made.chosen.provider.model,
    fellBackFrom: made.fellBackFrom,
    truncated: tc.prepared.truncation !== null,
    notices: [(made as { fallbackNotice?: string }).fallbackNotice, tc.prepared.truncation, ...(c.notices ?? [])].filter(
      (n): n is string => !!n,
    ),
  };
}

export async function translateMessage(ctx: Context, messageId: string, targetLocale: string): Promise<AiAnswer> {
  assertMayRead(ctx);
  const settings = await enabledSettings(ctx);
  const message = await ctx.db.message.findFirst({
    where: { id: messageId, ...visibleMessages(ctx) },
    select: { ticketId: true, body: true },
  });
  if (!message) throw notFound("Message");
  const [people, tenant] = await Promise.all([
    ticketPeople(ctx.db, message.ticketId),
    ctx.db.tenant.findFirst({ select: { defaultLocale: true } }),
  ]);
  if (!people) throw notFound("Message");
  const prepared = prepareConversation(
    { subject: "", messages: [{ body: message.body, authorType: "CONTACT", internal: false }] },
    people,
    {
      maxTokens: ctx.config.ai.maxPromptTokens,
      tenantLocale: tenant?.defaultLocale ?? "en",
    },
  );
  const tc: TicketContext = { settings, people, prepared, ticketId: message.ticketId, refusal: sensitiveRefusal(prepared, settings) };
  const request = { text: prepared.conversation.messages[0]?.text ?? "", targetLocale };
  const made = await withFallback(
    ctx,
    tc,
    "translate",
    { prompt: request, messageId },
    (p, signal) => p.translate!(request, signal),
    textDigest,
  );
  const id = made.result.text ? await remember(ctx, "TRANSLATION", message.ticketId, messageId, made) : null;
  return textAnswer("TRANSLATION", tc, made, id);
}

/** Named in the records of similarTickets' calls: the retrieval is the search backend's, not a model's. */
const SEARCH_RETRIEVAL: AiProvider = { model: "search-backend" };

/**
 * The tenant's solved and closed tickets most like this one, found by the
 * tenant's search backend (the built-in full-text search, or Elasticsearch's
 * more_like_this when that plugin is on) from the ticket's subject and public
 * messages: it scales with the index, not with a model in memory. Recorded as
 * a call like the others (what was asked: the ticket and its messages' ids).
 * A ticket whose requester has since objected, is restricted or was erased is left out.
 */
export async function similarTickets(ctx: Context, ticketId: string, first: number): Promise<{ ticketId: string; score: number }[]> {
  assertMayRead(ctx);
  const viewer = requireViewer(ctx);
  // Nothing of the text is read here: the backend compares what it has indexed.
  const [, people, messages] = await Promise.all([
    enabledSettings(ctx),
    ticketPeople(ctx.db, ticketId),
    ctx.db.message.findMany({ where: { ticketId, internal: false }, select: { id: true }, orderBy: { createdAt: "asc" } }),
  ]);
  if (!people) throw notFound("Ticket");
  // Some hits may be left out below: ask for more than `first`.
  const request = { tenantId: viewer.tenantId, ticketId, messageIds: messages.map((m) => m.id), limit: Math.min(first * 2, 40) };
  const { result: hits } = await callModel(
    ctx,
    { id: LOCAL_PROVIDER, provider: SEARCH_RETRIEVAL, external: false },
    { operation: "similar", prompt: request, subjectIds: people.subjectIds, ticketId },
    async () => (await search.similarTickets(ctx, request)).hits,
    (found) => ({ text: JSON.stringify(found) }),
  );
  if (!hits.length) return [];
  // An erased person's ticket is no example any more: what is left of it is other people's words.
  const tickets = await ctx.db.ticket.findMany({
    where: { id: { in: hits.map((h) => h.id) }, requester: { erasedAt: null } },
    select: { id: true, requesterId: true },
  });
  const decisions = await decideMany(ctx.db, [...new Set(tickets.map((t) => t.requesterId))], "ai.assistance");
  const allowed = new Set(tickets.filter((t) => decisions.get(t.requesterId) === "ALLOWED").map((t) => t.id));
  return hits
    .filter((h) => allowed.has(h.id))
    .slice(0, first)
    .map((h) => ({ ticketId: h.id, score: h.score }));
}

/**
 * Records that an agent took a suggestion (sent the reply, applied the tags):
 * who and when, audited with the digest of what the model said. Nothing is
 * applied here: the agent does that through the usual mutations.
 */
export async function acceptSuggestion(ctx: Context, id: string) {
  assertMayRead(ctx);
  const suggestion = await ctx.db.aiSuggestion.findUnique({ where: { id } });
  if (!suggestion) throw notFound("Suggestion");
  const actor = actorOf(ctx);
  return ctx.db.$transaction(async (tx) => {
    const { count } = await tx.aiSuggestion.updateMany({
      where: { id, acceptedAt: null },
      data: { acceptedAt: new Date(), acceptedByType: actor.type, acceptedById: actor.id },
    });
    if (!count) throw new AppError("CONFLICT", "This suggestion was already accepted");
    await recordAuditIn(tx, ctx, {
      action: "ai.suggestionAccepted",
      subjectType: "Ticket",
      subjectId: suggestion.ticketId,
      details: {
        suggestionId: id,
        kind: suggestion.kind,
        provider: suggestion.provider,
        model: suggestion.model,
        callId: suggestion.callId,
        answerSha256: suggestion.answerSha256,
      },
    });
    return tx.aiSuggestion.findUniqueOrThrow({ where: { id } });
  });
}
