import { appendAudit, type AuditInput } from "../audit/service.js";
import type { Database } from "../db/database.js";
import { AppError } from "../errors.js";
import type { Context } from "../context.js";
import { actorOf } from "../auth/actor.js";
import type { DataCategory } from "../privacy/taxonomy.js";
import type { BillingHost } from "./host.js";
import { ProviderError } from "./provider.js";

/** Who a provider call is made for: the tenant, and the actor for the audit log. */
export interface CallScope {
  database: Database;
  tenantId: string;
  actor: Pick<AuditInput, "actorType" | "actorId">;
  requestId: string | null;
  log: Context["log"];
}

export const scopeOf = (ctx: Context): CallScope => {
  const actor = actorOf(ctx);
  return {
    database: ctx.database,
    tenantId: ctx.viewer!.tenantId,
    actor: { actorType: actor.type, actorId: actor.id },
    requestId: ctx.requestId,
    log: ctx.log,
  };
};

/**
 * Every call to the payment provider, recorded like the plugin gateway records
 * tenant plugins' calls: in pluginCalls (plugin, operation, purpose `billing`,
 * categories, duration, outcome; never the payload) and as a `plugin.call`
 * audit entry. The gateway's other checks do not apply: the operator runs
 * billing for itself (it is the controller of its customers' billing data),
 * so there is no tenant install, transfer acceptance or contact consent to
 * check, and no contact's data is ever sent (subjectIds stay empty).
 */
export async function callProvider<T>(
  host: BillingHost,
  scope: CallScope,
  operation: string,
  categories: DataCategory[],
  send: () => Promise<T>,
): Promise<T> {
  const started = Date.now();
  let errorCode: string | null = null;
  try {
    return await send();
  } catch (err) {
    errorCode = err instanceof ProviderError ? err.code : "VENDOR_ERROR";
    if (err instanceof ProviderError) {
      throw new AppError("BILLING_PROVIDER_ERROR", `The payment provider refused the request (${err.code})`, { providerCode: err.code });
    }
    throw err;
  } finally {
    const outcome = errorCode ? "FAILED" : "OK";
    const purpose = "billing";
    await scope.database
      .forTenant(scope.tenantId)
      .pluginCall.create({
        data: {
          tenantId: scope.tenantId,
          pluginId: host.pluginId,
          operation,
          purpose,
          categories,
          subjectIds: [],
          outcome,
          errorCode,
          durationMs: Date.now() - started,
        },
      })
      .catch((err) => scope.log.error({ err }, "could not record a billing call"));
    await appendAudit(scope.database, scope.tenantId, [
      {
        ...scope.actor,
        requestId: scope.requestId,
        action: "plugin.call",
        categories,
        details: { pluginId: host.pluginId, operation, purpose, outcome, errorCode, subjectIds: [] },
      },
    ]).catch((err) => scope.log.error({ err }, "could not audit a billing call"));
  }
}
