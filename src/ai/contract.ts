/**
 * What an AI provider offers the core: the local default provider
 * (src/ai/local/) and plugins' providers (the `aiProvider` capability,
 * src/plugin-host/capabilities.ts) alike. A provider only ever receives text
 * the core pseudonymised and cut to the token budget: identifiers are
 * placeholders ([PERSON_1], [EMAIL_2]…) and it answers with placeholders, which
 * the core turns back into identifiers. Providers never record anything: the
 * core passes every call through the gateway, which checks and records it.
 * Every operation is optional; the core uses the local provider for what a
 * plugin does not offer.
 */

/** Who wrote a message, as a provider sees it: no names, only roles. */
export type AiAuthor = "CUSTOMER" | "AGENT" | "NOTE";

/** A ticket as providers see it: pseudonymised, oldest message first, within the token budget. */
export interface AiConversation {
  subject: string;
  messages: { author: AiAuthor; text: string }[];
  /** The customer's placeholder, `[PERSON_1]`: a reply addresses them by it. */
  customer: string;
  /** The tenant's language, when the ticket gives no other hint (ISO 639-1). */
  tenantLocale: string;
}

export type AiTone = "FRIENDLY" | "FORMAL" | "CONCISE";

export interface AiReplyRequest {
  conversation: AiConversation;
  tone: AiTone | null;
  /** The language to answer in (ISO 639-1, possibly with a region); null: the customer's. */
  locale: string | null;
}

interface AiTranslateRequest {
  text: string;
  /** ISO 639-1, possibly with a region (en-GB, pt-BR). */
  targetLocale: string;
}

/** An answer in words, with what the call cost. */
export interface AiTextAnswer {
  text: string;
  /** Other candidates, best first (the local provider's replies from other similar tickets). */
  alternatives?: string[];
  /** The tickets an answer was taken from (the local provider's replies): raw ids. */
  sourceTicketIds?: string[];
  /** The model that answered, when it differs from the provider's announced one. */
  model?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** Set by a translator: the language it found the text in. */
  detectedLocale?: string;
  /** What the agent should know about the answer ("no similar solved ticket yet"). */
  notices?: string[];
}

export interface Scored<T> {
  value: T;
  /** 0 to 1. */
  confidence: number;
}

export interface AiClassification {
  tags: Scored<string>[];
  priority: Scored<"LOW" | "NORMAL" | "HIGH" | "URGENT"> | null;
  language: Scored<string> | null;
  sentiment: Scored<"NEGATIVE" | "NEUTRAL" | "POSITIVE"> | null;
  notices?: string[];
}

export interface AiProvider {
  /** Named in the call record: "gpt-4o-mini", "deepl", "local-naive-bayes-tfidf". */
  model: string;
  suggestReply?(request: AiReplyRequest, signal: AbortSignal): Promise<AiTextAnswer>;
  summarize?(conversation: AiConversation, signal: AbortSignal): Promise<AiTextAnswer>;
  classify?(conversation: AiConversation, signal: AbortSignal): Promise<AiClassification>;
  translate?(request: AiTranslateRequest, signal: AbortSignal): Promise<AiTextAnswer>;
}

export type AiOperation = "suggestReply" | "summarize" | "classify" | "translate";
