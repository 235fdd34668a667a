import type { Context } from "../context.js";

/**
 * Runs one operator call and records it, successful or not, in the operator's
 * own log (OperatorAuditEntry): tenants come and go, this log stays. The
 * tenant's log also records closing and reopening (see service.ts).
 */
export async function asOperator<T>(ctx: Context, action: string, tenantSlug: string | null, run: () => Promise<T>): Promise<T> {
  const record = (outcome: string, errorCode: string | null) =>
    ctx.database.prisma.operatorAuditEntry
      .create({ data: { action, tenantSlug, outcome, errorCode, requestId: ctx.requestId, clientIp: ctx.clientIp } })
      .catch((err: unknown) => ctx.log.error({ err, action }, "could not record an operator call"));
  try {
    const result = await run();
    await record("SUCCESS", null);
    ctx.log.info({ action, tenant: tenantSlug }, "operator call");
    return result;
  } catch (err) {
    const code = (err as { extensions?: { code?: unknown } }).extensions?.code;
    await record("FAILURE", typeof code === "string" ? code : "INTERNAL_SERVER_ERROR");
    throw err;
  }
}
