import type { AiProvider } from "../../src/ai/contract.js";
import { outboundGuard } from "../../src/outbound/guard.js";
import { deepLClient, targetLanguage } from "./client.js";
import type { DeepLRuntime } from "./options.js";

/** Rejects when the core's time limit is up: the SDK itself takes no abort signal. */
const aborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    signal.throwIfAborted();
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

/** The DeepL provider for one tenant: translation only. */
export function deepLProvider(runtime: DeepLRuntime): AiProvider {
  const config = runtime.core.config;
  const client = deepLClient(runtime.settings, outboundGuard(config), config.ai.timeoutMs);
  return {
    model: "deepl",
    async translate(request, signal) {
      const result = await Promise.race([client.translateText(request.text, null, targetLanguage(request.targetLocale)), aborted(signal)]);
      return { text: result.text, detectedLocale: result.detectedSourceLang };
    },
  };
}
