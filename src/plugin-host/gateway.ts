import { recordAudit } from "../audit/service.js";
import { AppError } from "../errors.js";
import type { Context } from "../context.js";
import { traced, type SpanHandle } from "../observability/tracing.js";
import { decideMany, decisionError } from "../privacy/consent.js";
import { installOf } from "./install.js";
import type { OutboundCall } from "./plugin.js";
import { transferStatus, transfersOutsideEea } from "./transfer.js";

/**
 * The one way out: checks, in order, that the plugin is enabled for this
 * tenant, that the call stays within what its manifest declares, that the
 * region is allowed, and that every data subject involved allows the purpose
 * (consent, objection, restriction). Then it makes the call and records it:
 * plugin, operation, purpose, categories, subject ids, duration, outcome;
 * never the payload.
 *
 * With tracing on, the whole of it is a CLIENT span named after the plugin
 * and operation, with the purpose, categories, tenant and outcome: not the
 * subjects (they are people) and not the payload. No trace context goes to
 * the vendor: its SDK makes the request, and a subprocessor has no business
 * with the operator's traces.
 */
export function throughGateway<T>(ctx: Context, pluginId: string, call: OutboundCall, send: () => Promise<T>): Promise<T> {
  return traceCall(ctx, pluginId, call, () => check(ctx, pluginId, call), send);
}

/**
 * A call that never leaves the process (the local AI provider): no plugin to
 * check, but the same refusals for the people it is about (objection,
 * restriction) and the same record, under `providerId`. Processing on the
 * server is processing too.
 */
export function inProcess<T>(ctx: Context, providerId: string, call: OutboundCall, send: () => Promise<T>): Promise<T> {
  return traceCall(ctx, providerId, call, () => checkSubjects(ctx, call), send);
}

function traceCall<T>(ctx: Context, pluginId: string, call: OutboundCall, checks: () => Promise<void>, send: () => Promise<T>): Promise<T> {
  const attributes = {
    "deskgraph.plugin.id": pluginId,
    "deskgraph.plugin.operation": call.operation,
    "deskgraph.plugin.purpose": call.purpose,
    "deskgraph.plugin.categories": call.categories,
    "deskgraph.tenant.id": ctx.viewer?.tenantId,
  };
  return traced(ctx.tracing, `plugin ${pluginId} ${call.operation}`, { kind: "client", attributes }, (span) =>
    gatewayCall(ctx, pluginId, call, checks, send, span),
  );
}

async function gatewayCall<T>(
  ctx: Context,
  pluginId: string,
  call: OutboundCall,
  checks: () => Promise<void>,
  send: () => Promise<T>,
  span: SpanHandle,
): Promise<T> {
  const started = Date.now();
  let outcome: "OK" | "REFUSED" | "FAILED" = "OK";
  let errorCode: string | null = null;
  try {
    await checks().catch((err) => {
      outcome = "REFUSED";
      throw err;
    });
    return await send();
  } catch (err) {
    if (outcome === "OK") outcome = "FAILED";
    errorCode =
      (err as { extensions?: { code?: string } }).extensions?.code ?? (err as { code?: string }).code?.toString() ?? "VENDOR_ERROR";
    throw err;
  } finally {
    span.set({ "deskgraph.plugin.outcome": outcome });
    if (errorCode) span.fail(errorCode);
    const durationMs = Date.now() - started;
    const m = call.modelCall;
    const model = m
      ? {
          id: m.id,
          model: m.model,
          ticketId: m.ticketId,
          messageId: m.messageId,
          promptSha256: m.promptSha256,
          answerSha256: m.answerSha256 ?? null,
          inputTokens: m.inputTokens ?? null,
          outputTokens: m.outputTokens ?? null,
        }
      : null;
    await ctx.db.pluginCall
      .create({
        data: {
          tenantId: ctx.viewer!.tenantId,
          pluginId,
          operation: call.operation,
          purpose: call.purpose,
          categories: call.categories,
          subjectIds: call.subjectIds,
          outcome,
          errorCode,
          durationMs,
          ...model,
        },
      })
      .catch((err) => ctx.log.error({ err, pluginId }, "could not record a plugin call"));
    await recordAudit(ctx, {
      action: model ? "ai.call" : "plugin.call",
      subjectType: call.subjectIds.length === 1 ? "Contact" : null,
      subjectId: call.subjectIds.length === 1 ? call.subjectIds[0] : null,
      // Every person the call carried, so that each one's access log and auditLog(filter: { subjectId }) find it.
      subjectIds: call.subjectIds,
      categories: call.categories,
      details: {
        pluginId,
        operation: call.operation,
        purpose: call.purpose,
        outcome,
        errorCode,
        subjectIds: call.subjectIds,
        // Digests and counts only: the audit log never holds a prompt or an answer.
        ...(model ? modelDetails(model, durationMs) : {}),
      },
    }).catch((err) => ctx.log.error({ err, pluginId }, "could not audit a plugin call"));
  }
}

function modelDetails({ id, ...rest }: { id: string } & Record<string, string | number | null>, durationMs: number) {
  return { callId: id, ...rest, durationMs };
}

async function check(ctx: Context, pluginId: string, call: OutboundCall): Promise<void> {
  if (call.refusal) throw call.refusal;
  const def = ctx.plugins.registry.get(pluginId);
  // An operator's plugin (its malware scanner) runs from the operator's configuration for every
  // tenant: there is no install to enable or transfer to accept, the rest of the checks hold.
  const operatorRun = def?.manifest.operatorManaged === true;
  const install = def && !operatorRun ? await installOf(ctx, pluginId) : null;
  // Deleting at the vendor moves nothing out: allowed for any installed plugin, whatever its state or the subject's choices.
  if (call.deletesOnly && install) {
    if (call.subjectIds.length || call.categories.some((c) => !def!.manifest.dataCategories.includes(c))) {
      throw new AppError("PLUGIN_UNDECLARED_PROCESSING", `${pluginId} sent data in a call declared as deleting only`, { pluginId });
    }
    return;
  }
  if (!def || (!operatorRun && !install?.enabled))
    throw new AppError("PLUGIN_DISABLED", `The plugin ${pluginId} is not enabled for this tenant`, { pluginId });

  const m = def.manifest;
  const undeclared = call.categories.filter((c) => !m.dataCategories.includes(c));
  if (!m.purposes.some((p) => p.purpose === call.purpose) || undeclared.length) {
    throw new AppError("PLUGIN_UNDECLARED_PROCESSING", `${pluginId} tried to process data its manifest does not declare`, {
      pluginId,
      purpose: call.purpose,
      categories: undeclared,
    });
  }

  const tenant = await ctx.db.tenant.findUniqueOrThrow({ where: { id: ctx.viewer!.tenantId } });
  if (operatorRun && tenant.dataResidency === "EU" && transfersOutsideEea(m).length) {
    throw new AppError(
      "TRANSFER_NOT_ACCEPTED",
      `The operator's ${m.name} processes data outside the EEA, and this tenant requires EU residency`,
      {
        pluginId,
        locations: m.processingLocations,
      },
    );
  }
  if (!operatorRun && transferStatus(tenant.dataResidency, m, install) === "ACCEPTANCE_REQUIRED") {
    throw new AppError(
      "TRANSFER_NOT_ACCEPTED",
      `${m.name} processes data outside the EEA and the current manifest's transfer has not been accepted`,
      {
        pluginId,
        locations: m.processingLocations,
      },
    );
  }

  await checkSubjects(ctx, call);
}

/** Every data subject of the call allows its purpose: consent given or not withdrawn, no objection, no restriction. */
async function checkSubjects(ctx: Context, call: OutboundCall): Promise<void> {
  if (call.refusal) throw call.refusal;
  if (call.subjectIds.length) {
    const decisions = await decideMany(ctx.db, call.subjectIds, call.purpose);
    for (const id of call.subjectIds) {
      const decision = decisions.get(id) ?? "CONSENT_REQUIRED";
      if (decision !== "ALLOWED") throw decisionError(decision, call.purpose);
    }
  }
}
