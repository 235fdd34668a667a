import type { TenantClient } from "../../db/tenant-scope.js";
import { decideMany } from "../../privacy/consent.js";
import type { AiClassification, AiConversation, AiProvider, AiReplyRequest, AiTextAnswer } from "../contract.js";
import { Pseudonymiser } from "../pseudonymise/pseudonymiser.js";
import { ticketPeople } from "../pseudonymise/people.js";
import { languageOf } from "./language.js";
import type { TenantModel } from "./model.js";
import { sentimentOf } from "./sentiment.js";
import { summarize } from "./summary.js";

export const LOCAL_PROVIDER = "local";
export const LOCAL_MODEL = "local-naive-bayes-tfidf";

/** Similar solved tickets looked at for a reply; the best reply is the suggestion, the others alternatives. */
const CANDIDATES = 8;
const REPLIES = 3;

const NOT_TRAINED =
  "The tenant's own model is not trained yet (it trains in the background): tags, priority and reply suggestions follow once it is.";

/** What the customer wrote: the words the models learnt from. */
const customerText = (c: AiConversation) => [c.subject, ...c.messages.filter((m) => m.author === "CUSTOMER").map((m) => m.text)].join("\n");

/**
 * The default provider: in this process, no network, nothing to download.
 * Classification and reply suggestions come from the tenant's own model
 * (./model.ts), trained on that tenant's tickets only; summaries pick the
 * ticket's own sentences; language detection is tinyld's. It cannot
 * translate: that needs a translation plugin.
 */
export class LocalProvider implements AiProvider {
  readonly model = LOCAL_MODEL;

  constructor(
    private readonly db: TenantClient,
    private readonly tenantModel: TenantModel | null,
    /** The ticket asked about: never its own similar ticket. */
    private readonly ticketId: string,
  ) {}

  async classify(conversation: AiConversation): Promise<AiClassification> {
    const text = customerText(conversation);
    const learnt = this.tenantModel?.classify(text) ?? { tags: [], priority: null };
    return {
      ...learnt,
      language: languageOf(text),
      sentiment: sentimentOf(
        conversation.messages
          .filter((m) => m.author === "CUSTOMER")
          .map((m) => m.text)
          .join("\n") || conversation.subject,
      ),
      ...(this.tenantModel ? {} : { notices: [NOT_TRAINED] }),
    };
  }

  async summarize(conversation: AiConversation): Promise<AiTextAnswer> {
    const weigh = (words: string[]) => this.tenantModel?.weights(words) ?? new Map(words.map((w) => [w, 1]));
    return { text: summarize(conversation, weigh) };
  }

  /** The solved tickets most like this one, best first (raw ids and scores). */
  similar(conversation: AiConversation, limit: number): { id: string; score: number }[] {
    return this.tenantModel?.similar(customerText(conversation), limit, new Set([this.ticketId])) ?? [];
  }

  /**
   * The first public reply of the most similar solved tickets. Each comes from
   * someone else's ticket: its people's identifiers are taken out (its
   * requester becomes this ticket's customer, anyone else "[…]"), and a ticket
   * whose people now object or are restricted is passed over.
   */
  async suggestReply(request: AiReplyRequest): Promise<AiTextAnswer> {
    if (!this.tenantModel) return { text: "", notices: [NOT_TRAINED] };
    const hits = this.similar(request.conversation, CANDIDATES);
    const replies = hits.length
      ? await this.db.message.findMany({
          where: { ticketId: { in: hits.map((h) => h.id) }, authorType: "AGENT", internal: false, redactedAt: null },
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
          select: { ticketId: true, body: true },
        })
      : [];
    const firstReply = new Map<string, string>();
    for (const r of replies) if (!firstReply.has(r.ticketId)) firstReply.set(r.ticketId, r.body);
    const chosen: { ticketId: string; text: string }[] = [];
    for (const hit of hits) {
      const body = firstReply.get(hit.id);
      if (!body || chosen.length >= REPLIES) continue;
      const text = await this.withoutItsPeople(hit.id, body, request.conversation.customer);
      if (text) chosen.push({ ticketId: hit.id, text });
    }
    if (!chosen.length) return { text: "", notices: ["No similar solved ticket with a reply was found."] };
    return {
      text: chosen[0]!.text,
      alternatives: chosen.slice(1).map((c) => c.text),
      sourceTicketIds: chosen.map((c) => c.ticketId),
      ...(request.tone || request.locale
        ? { notices: ["The local provider offers replies as they were written on similar tickets: tone and language are not adjusted."] }
        : {}),
    };
  }

  /** A reply from another ticket with that ticket's people taken out; null when one of them no longer allows it. */
  private async withoutItsPeople(ticketId: string, body: string, customer: string): Promise<string | null> {
    const people = await ticketPeople(this.db, ticketId);
    if (!people?.requester) return null;
    const decisions = await decideMany(this.db, people.subjectIds, "ai.assistance");
    if (people.subjectIds.some((id) => decisions.get(id) !== "ALLOWED")) return null;
    const source = new Pseudonymiser(people.people, { regions: people.regions });
    const requester = source.placeholderOf(people.requester);
    return source.pseudonymise(body).replace(/\[[A-Z]+_\d+\]/g, (token) => (token === requester ? customer : "[…]"));
  }
}
