import { createHash } from "node:crypto";
import type { DeepLClient, TargetLanguageCode } from "deepl-node";
import { lazyModule } from "../../src/lazy-module.js";
import type { OutboundGuard } from "../../src/outbound/guard.js";
import type { DeepLSettings } from "./options.js";

/** The SDK, loaded when the plugin is first called (see lazyModule). */
const deepLSdk = lazyModule<typeof import("deepl-node")>("deepl-node");

// One SDK client per key and server URL, per guard.
const clientsByGuard = new WeakMap<OutboundGuard, Map<string, DeepLClient>>();

/**
 * The official SDK's client for a tenant's settings. The SDK sends with axios
 * through agents of its own and takes none in its options; each request's
 * configuration gets the outbound guard's agents instead (axios's documented
 * per-request httpAgent and httpsAgent), so every connection passes the guard.
 * The core bounds the call; the SDK does not retry.
 */
export function deepLClient(settings: DeepLSettings, guard: OutboundGuard, timeoutMs: number): DeepLClient {
  const { authKey } = settings;
  if (!authKey) throw Object.assign(new Error("DeepL is not configured"), { code: "PLUGIN_NOT_CONFIGURED" });
  const serverUrl = settings.serverUrl?.replace(/\/+$/, "") || undefined;
  if (serverUrl) guard.checkUrlNow(serverUrl);
  const key = [serverUrl ?? "", timeoutMs, createHash("sha256").update(authKey).digest("hex")].join("|");
  let clients = clientsByGuard.get(guard);
  if (!clients) clientsByGuard.set(guard, (clients = new Map()));
  let client = clients.get(key);
  if (!client) {
    client = new (deepLSdk().DeepLClient)(authKey, { serverUrl, maxRetries: 0, minTimeout: timeoutMs, sendPlatformInfo: false });
    throughGuard(client, guard);
    if (clients.size > 500) clients.clear();
    clients.set(key, client);
  }
  return client;
}

type RequestConfig = Record<string, unknown>;
type HttpClient = { prepareRequest(...args: unknown[]): RequestConfig };

function throughGuard(client: DeepLClient, guard: OutboundGuard): void {
  const httpAgent = guard.httpAgent({ keepAlive: true });
  const httpsAgent = guard.httpsAgent({ keepAlive: true });
  for (const name of ["httpClient", "storageHttpClient"]) {
    const http = (client as unknown as Record<string, HttpClient | undefined>)[name];
    if (!http) continue;
    const prepare = http.prepareRequest.bind(http);
    http.prepareRequest = (...args) => ({ ...prepare(...args), httpAgent, httpsAgent, maxRedirects: 0 });
  }
}

/** DeepL's code for a target locale: English and Portuguese need their variant (en → en-GB, pt → pt-PT). */
export function targetLanguage(locale: string): TargetLanguageCode {
  const [language, region] = locale.split("-");
  const lang = language!.toLowerCase();
  if (lang === "en") return region === "US" ? "en-US" : "en-GB";
  if (lang === "pt") return region === "BR" ? "pt-BR" : "pt-PT";
  return lang as TargetLanguageCode;
}
