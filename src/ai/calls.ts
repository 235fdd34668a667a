import { createHash, randomUUID } from "node:crypto";
import type { Context } from "../context.js";
import { AppError } from "../errors.js";
import { inProcess, throughGateway } from "../plugin-host/gateway.js";
import type { ModelCallRecord, OutboundCall } from "../plugin-host/plugin.js";
import type { AiOperation, AiProvider } from "./contract.js";
import { LOCAL_PROVIDER } from "./local/provider.js";

/** A provider chosen for a call: a plugin's (its id) or the local one. */
export interface ChosenProvider {
  id: string;
  provider: AiProvider;
  external: boolean;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** What one call is about and for whom. */
export interface ModelCallInput {
  operation: AiOperation | "similar";
  /** What the provider receives (pseudonymised): its digest is recorded, never the text. */
  prompt: unknown;
  subjectIds: string[];
  ticketId: string;
  messageId?: string | null;
  refusal?: Error;
}

/** What the record keeps of an answer: the digest of the text as the provider gave it, and the tokens it reported. */
export interface AnswerDigest {
  text: string;
  inputTokens?: number;
  outputTokens?: number;
}

/**
 * Calls a provider with a time limit, through the gateway (a plugin) or as an
 * in-process call (the local provider): either way the call is checked for
 * the people it is about, refused if the core found a reason, and recorded
 * with the model, the digests of prompt and answer, token counts, latency and
 * outcome. A provider that fails or runs out of time is PROVIDER_UNAVAILABLE.
 */
export async function callModel<T>(
  ctx: Context,
  chosen: ChosenProvider,
  input: ModelCallInput,
  run: (signal: AbortSignal) => Promise<T>,
  digest: (result: T) => AnswerDigest,
): Promise<{ result: T; callId: string; answerSha256: string }> {
  const record: ModelCallRecord = {
    id: randomUUID(),
    model: chosen.provider.model,
    ticketId: input.ticketId,
    messageId: input.messageId ?? null,
    promptSha256: sha256(JSON.stringify({ operation: input.operation, prompt: input.prompt })),
  };
  const call: OutboundCall = {
    operation: input.operation,
    purpose: "ai.assistance",
    categories: ["user.content.message"],
    subjectIds: input.subjectIds,
    modelCall: record,
    refusal: input.refusal,
  };
  const send = async () => {
    const signal = AbortSignal.timeout(ctx.config.ai.timeoutMs);
    let result: T;
    try {
      result = await run(signal);
    } catch (err) {
      throw chosen.external ? unavailable(chosen.id, err, signal, ctx.config.ai.timeoutMs) : err;
    }
    const answer = digest(result);
    record.answerSha256 = sha256(answer.text);
    record.inputTokens = answer.inputTokens;
    record.outputTokens = answer.outputTokens;
    return result;
  };
  const result = chosen.external ? await throughGateway(ctx, chosen.id, call, send) : await inProcess(ctx, LOCAL_PROVIDER, call, send);
  return { result, callId: record.id, answerSha256: record.answerSha256! };
}

/** A provider's failure as the API reports it: why, without the vendor's text (which may quote the prompt). */
function unavailable(providerId: string, err: unknown, signal: AbortSignal, timeoutMs: number): AppError {
  if (err instanceof AppError) return err;
  if (signal.aborted) {
    return new AppError("PROVIDER_UNAVAILABLE", `${providerId} did not answer within ${Math.round(timeoutMs / 1000)} s`, {
      provider: providerId,
      reason: "TIMEOUT",
    });
  }
  const status = (err as { status?: unknown }).status;
  return new AppError("PROVIDER_UNAVAILABLE", `${providerId} could not answer`, {
    provider: providerId,
    reason: "UNAVAILABLE",
    ...(typeof status === "number" ? { vendorStatus: status } : {}),
  });
}
