import { outboundGuard, type OutboundGuard } from "../../../src/outbound/guard.js";
import type { EmailRuntime } from "../options.js";

/** The requests the plugin makes to a provider's authorization server, as their plugin calls are named. */
type OAuthOperation = "oauth.discovery" | "oauth.token" | "oauth.refresh" | "oauth.revoke";

/** Makes one request to the authorization server (and reads its answer) as a plugin call. */
export type OAuthRecorder = <T>(operation: OAuthOperation, send: () => Promise<T>) => Promise<T>;

/** How requests to an authorization server go out: to addresses the outbound guard allows, recorded like every call out. */
export interface OAuthOut {
  guard: OutboundGuard;
  record: OAuthRecorder;
}

/**
 * The tenant's runtime records each request through the plugin gateway, like
 * a reply sent or a Stripe or Twilio call: a row in pluginCalls (plugin
 * `email`, the operation, its outcome and error code, its duration), an audit
 * entry and a trace span. Tokens, codes and client secrets are the payload,
 * and the gateway never records a payload. The requests carry no contact's
 * data (categories and subjects are empty); revoking a grant only deletes at
 * the provider (`deletesOnly`), so it goes through even for a disabled plugin.
 */
export function oauthRecorder(runtime: EmailRuntime): OAuthRecorder {
  return (operation, send) =>
    runtime.call(
      { operation, purpose: "support", categories: [], subjectIds: [], ...(operation === "oauth.revoke" ? { deletesOnly: true } : {}) },
      send,
    );
}

/** The runtime's way out to authorization servers. */
export const oauthOut = (runtime: EmailRuntime, guard: OutboundGuard = outboundGuard(runtime.core.config)): OAuthOut => ({
  guard,
  record: oauthRecorder(runtime),
});
