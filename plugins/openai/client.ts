import { createHash } from "node:crypto";
import type OpenAI from "openai";
import { lazyModule } from "../../src/lazy-module.js";
import { guardedFetch } from "../../src/outbound/fetch.js";
import type { OutboundGuard } from "../../src/outbound/guard.js";
import type { OpenAiSettings } from "./options.js";

export const DEFAULT_MODEL = "gpt-4o-mini";

/** The SDK, loaded when the plugin is first called (see lazyModule). */
const openAiSdk = lazyModule<typeof import("openai")>("openai");

// One SDK client (one pool of connections) per key and base URL, per guard.
const clientsByGuard = new WeakMap<OutboundGuard, Map<string, OpenAI>>();

/**
 * The official SDK's client for a tenant's settings. Every connection passes
 * the outbound guard (the SDK takes a fetch function: ours sends over the
 * guard's agents), so an apiBaseUrl pointing somewhere private is refused
 * unless the operator allowed it. The core sets the time limit (an abort
 * signal); the SDK retries a failed call once.
 */
export function openAiClient(settings: OpenAiSettings, guard: OutboundGuard): OpenAI {
  const { apiKey } = settings;
  if (!apiKey) throw Object.assign(new Error("OpenAI is not configured"), { code: "PLUGIN_NOT_CONFIGURED" });
  const baseURL = settings.apiBaseUrl?.replace(/\/+$/, "") || undefined;
  if (baseURL) guard.checkUrlNow(baseURL);
  const key = [baseURL ?? "", createHash("sha256").update(apiKey).digest("hex")].join("|");
  let clients = clientsByGuard.get(guard);
  if (!clients) clientsByGuard.set(guard, (clients = new Map()));
  let client = clients.get(key);
  if (!client) {
    client = new (openAiSdk().OpenAI)({ apiKey, baseURL, maxRetries: 1, timeout: 10 * 60_000, fetch: guardedFetch(guard) });
    if (clients.size > 500) clients.clear();
    clients.set(key, client);
  }
  return client;
}
