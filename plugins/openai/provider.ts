import type { AiProvider, AiTextAnswer } from "../../src/ai/contract.js";
import { outboundGuard } from "../../src/outbound/guard.js";
import { DEFAULT_MODEL, openAiClient } from "./client.js";
import type { OpenAiRuntime } from "./options.js";
import { conversationText, replyInstructions, summaryInstructions, translationInstructions } from "./prompts.js";

const MAX_OUTPUT_TOKENS = 1000;

/**
 * An answer that repeats the instructions it was given is withheld: the
 * conversation talked the model into it (prompt injection), and an agent
 * should not be handed the text, let alone send it.
 */
function withheld(instructions: string, text: string): boolean {
  const lines = instructions.split("\n").filter((l) => l.length > 40);
  return lines.some((l) => text.includes(l.slice(0, 60)));
}

/** The OpenAI provider for one tenant: Chat Completions with store: false, through the official SDK. */
export function openAiProvider(runtime: OpenAiRuntime): AiProvider {
  const client = openAiClient(runtime.settings, outboundGuard(runtime.core.config));
  const model = runtime.settings.model?.trim() || DEFAULT_MODEL;

  async function complete(instructions: string, user: string, signal: AbortSignal): Promise<AiTextAnswer> {
    const completion = await client.chat.completions.create(
      {
        model,
        // Nothing is kept at OpenAI for later retrieval (stored completions, evals, distillation).
        store: false,
        max_completion_tokens: MAX_OUTPUT_TOKENS,
        messages: [
          { role: "system", content: instructions },
          { role: "user", content: user },
        ],
      },
      { signal },
    );
    const text = completion.choices[0]?.message?.content?.trim() ?? "";
    const usage = {
      model: completion.model,
      inputTokens: completion.usage?.prompt_tokens,
      outputTokens: completion.usage?.completion_tokens,
    };
    if (withheld(instructions, text)) {
      return {
        ...usage,
        text: "",
        notices: [
          "The answer repeated the assistant's instructions, so it was withheld: the ticket may contain text trying to steer the model.",
        ],
      };
    }
    return { ...usage, text };
  }

  return {
    model,
    suggestReply: (r, signal) =>
      complete(replyInstructions(r.conversation.customer, r.tone, r.locale), conversationText(r.conversation), signal),
    summarize: (c, signal) => complete(summaryInstructions(), conversationText(c), signal),
    translate: (r, signal) => complete(translationInstructions(r.targetLocale), `<text>\n${r.text}\n</text>`, signal),
  };
}
