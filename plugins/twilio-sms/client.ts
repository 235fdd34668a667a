import { createHash } from "node:crypto";
import type twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient.js";
import { lazyModule } from "../../src/lazy-module.js";
import { isAddressRefusal, type OutboundGuard } from "../../src/outbound/guard.js";
import type { TwilioSettings } from "./options.js";

/** The SDK, loaded when the plugin first talks to Twilio (see lazyModule). */
export const twilioSdk = lazyModule<typeof twilio>("twilio");

/**
 * The SDK's own RequestClient, sending what it would send to *.twilio.com to
 * another base URL instead: the documented `httpClient` option of the Twilio
 * client. Used when a tenant sets apiBaseUrl (tests, an egress proxy). The
 * base is the tenant's choice, so every connection to it passes the outbound
 * guard: the SDK's axios instance gets the guard's agents.
 */
let RebasedRequestClient: ReturnType<typeof defineRebasedRequestClient> | undefined;

function defineRebasedRequestClient() {
  return class RebasedRequestClient extends twilioSdk().RequestClient {
    constructor(
      private readonly base: string,
      guard: OutboundGuard,
    ) {
      super();
      const axios = (this as unknown as { axios: { defaults: { httpAgent?: unknown; httpsAgent?: unknown } } }).axios;
      axios.defaults.httpAgent = guard.httpAgent({ keepAlive: true });
      axios.defaults.httpsAgent = guard.httpsAgent({ keepAlive: true });
    }

    override request<TData>(opts: RequestClient.RequestOptions<TData>) {
      const uri = new URL(opts.uri);
      if (uri.protocol === "https:" && (uri.hostname === "twilio.com" || uri.hostname.endsWith(".twilio.com"))) {
        return super.request({ ...opts, uri: `${this.base}${uri.pathname}${uri.search}` });
      }
      return super.request(opts);
    }
  };
}

// One SDK client (and so one pool of keep-alive connections) per account and target, per guard.
const clientsByGuard = new WeakMap<OutboundGuard, Map<string, twilio.Twilio>>();

/**
 * The official SDK's client for a tenant's settings. An apiBaseUrl was
 * checked when it was saved; it is checked again here (an IP literal the
 * operator no longer allows) and on every connection (names).
 */
export function twilioClient(settings: TwilioSettings, guard: OutboundGuard): twilio.Twilio {
  const { accountSid, authToken } = settings;
  if (!accountSid || !authToken) throw Object.assign(new Error("Twilio is not configured"), { code: "PLUGIN_NOT_CONFIGURED" });
  const base = settings.apiBaseUrl?.replace(/\/+$/, "") || null;
  if (base) guard.checkUrlNow(base);
  const key = [accountSid, base ?? "", createHash("sha256").update(authToken).digest("hex")].join("|");
  let clients = clientsByGuard.get(guard);
  if (!clients) clientsByGuard.set(guard, (clients = new Map()));
  let client = clients.get(key);
  if (!client) {
    RebasedRequestClient ??= defineRebasedRequestClient();
    client = twilioSdk()(accountSid, authToken, base ? { httpClient: new RebasedRequestClient(base, guard) } : {});
    if (clients.size > 500) clients.clear();
    clients.set(key, client);
  }
  return client;
}

/**
 * A stable code for why a call to Twilio failed, without the vendor's text
 * (which can quote phone numbers): TWILIO_<error code> (see
 * twilio.com/docs/errors), TWILIO_HTTP_<status> without one, VENDOR_UNREACHABLE
 * when Twilio could not be reached, or the gateway's code (CONSENT_REQUIRED…).
 */
export function failureCode(err: unknown): string {
  const e = err as { extensions?: { code?: unknown }; code?: unknown; status?: unknown };
  if (typeof e?.extensions?.code === "string") return e.extensions.code;
  if (isAddressRefusal(err)) return "ADDRESS_NOT_ALLOWED";
  if (err instanceof twilioSdk().RestException) return e.code ? `TWILIO_${String(e.code)}` : `TWILIO_HTTP_${String(e.status)}`;
  if (typeof e?.code === "string" && /^(E[A-Z]+|ERR_[A-Z_]+)$/.test(e.code)) return "VENDOR_UNREACHABLE";
  if (typeof e?.code === "string" && /^[A-Z_]+$/.test(e.code)) return e.code;
  return "VENDOR_ERROR";
}
