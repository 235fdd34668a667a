import type { AiConversation } from "../contract.js";
import { sentences, terms } from "./text.js";

/** How much a summary keeps: a few sentences, whatever the length of the ticket. */
const MAX_SENTENCES = 4;

const LABEL: Record<AiConversation["messages"][number]["author"], string> = { CUSTOMER: "Customer", AGENT: "Agent", NOTE: "Note" };

/**
 * An extractive summary: the sentences that carry the most of the ticket's
 * rare words (weights from the tenant's model where there is one), in the
 * order they were written, each with who wrote it. Nothing is invented: every
 * sentence is the ticket's own.
 */
export function summarize(conversation: AiConversation, weigh: (words: string[]) => Map<string, number>): string {
  const candidates = conversation.messages.flatMap((m, index) =>
    sentences(m.text, conversation.tenantLocale).map((text) => ({ text, index, author: m.author, words: terms(text, 200) })),
  );
  if (!candidates.length) return conversation.subject;
  const weights = weigh([...new Set(candidates.flatMap((c) => c.words))]);
  // Words that recur across the ticket matter; a sentence is scored by its distinct words, not its length.
  const frequency = new Map<string, number>();
  for (const c of candidates) for (const w of new Set(c.words)) frequency.set(w, (frequency.get(w) ?? 0) + 1);
  const scored = candidates.map((c, order) => {
    const distinct = [...new Set(c.words)];
    const score =
      distinct.reduce((s, w) => s + (weights.get(w) ?? 0) * Math.log(1 + (frequency.get(w) ?? 1)), 0) / Math.sqrt(distinct.length + 1);
    // The customer's first message states the problem: it weighs a little more.
    return { ...c, order, score: score * (c.index === 0 ? 1.5 : 1) };
  });
  const chosen = [...scored]
    .sort((a, b) => b.score - a.score)
    .slice(0, MAX_SENTENCES)
    .sort((a, b) => a.order - b.order);
  return chosen.map((c) => `- ${LABEL[c.author]}: ${c.text}`).join("\n");
}
