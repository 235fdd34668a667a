import { getOperationAST, GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.js";
import { closureOf } from "../tenants/service.js";
import { accountOf, isReadOnly } from "./state.js";

/**
 * Mutations a read-only tenant (unpaid past the grace period) can still run.
 * Everything else that writes fails with TENANT_READ_ONLY; reads keep working
 * and nothing is ever deleted for non-payment.
 */
const ALLOWED_WHILE_READ_ONLY: Record<string, string> = {
  // Paying is the way out.
  startCheckout: "billing",
  openBillingPortal: "billing",
  changeSeats: "billing",
  cancelSubscription: "billing",
  // Signing in and out, and accepting an invitation (a sign-in), so the team can reach billing and read.
  signIn: "access",
  signOut: "access",
  acceptInvitation: "access",
  // Security: cut off a departed agent, a leaked key, a plugin or webhook sending data out.
  disableAgent: "security",
  revokeApiKey: "security",
  disablePlugin: "security",
  deleteWebhookEndpoint: "security",
  revokePortalTokens: "security",
  // GDPR duties do not wait for a payment: data-subject rights, consent withdrawal, objection,
  // restriction, legal holds, retention (storage limitation) and privacy policy acceptance.
  fileDataSubjectRequest: "legal",
  extendDataSubjectRequest: "legal",
  refuseDataSubjectRequest: "legal",
  completeDataSubjectRequest: "legal",
  issuePortalToken: "legal: a person exercises their rights through the portal",
  withdrawConsent: "legal",
  objectToProcessing: "legal",
  restrictProcessing: "legal",
  liftRestriction: "legal",
  placeLegalHold: "legal",
  releaseLegalHold: "legal",
  setRetentionRule: "legal",
  removeRetentionRule: "legal",
  acceptPolicyVersion: "legal",
};

function rootFieldNames(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, out: { key: string; name: string }[] = []) {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) out.push({ key: s.alias?.value ?? s.name.value, name: s.name.value });
    else if (s.kind === Kind.INLINE_FRAGMENT) rootFieldNames(s.selectionSet, fragments, out);
    else {
      const f = fragments.get(s.name.value);
      if (f) rootFieldNames(f.selectionSet, fragments, out);
    }
  }
  return out;
}

/**
 * A closed tenant (src/tenants/) is read-only the same way, except that paying
 * no longer lifts it: only the operator reopens it.
 */
const ALLOWED_WHILE_CLOSED = new Set(Object.keys(ALLOWED_WHILE_READ_ONLY).filter((name) => ALLOWED_WHILE_READ_ONLY[name] !== "billing"));

/**
 * Refuses a whole mutation operation, before anything runs, when the tenant is
 * read-only (unpaid, or closed by the operator) and the operation holds a
 * mutation not in the lists above. Whether the tenant is closed comes with
 * the caller's credential; whether it is unpaid is one indexed read per such
 * mutation with billing on. Queries and subscriptions pass.
 */
export function readOnlyGuard(): Plugin<Context> {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue as Context;
      if (!ctx.viewer) return;
      const operation = getOperationAST(args.document as DocumentNode, args.operationName);
      if (operation?.operation !== "mutation") return;
      const document = args.document as DocumentNode;
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
      const fields = rootFieldNames(operation.selectionSet, fragments).filter((f) => f.name !== "__typename");
      const closedBlocks = fields.find((f) => !ALLOWED_WHILE_CLOSED.has(f.name));
      if (closedBlocks) {
        // Credentials carry it (kept current by the tenant's notices); other viewers read it.
        const closure =
          "closure" in ctx.viewer && ctx.viewer.closure !== undefined
            ? ctx.viewer.closure
            : await closureOf(ctx.database, ctx.viewer.tenantId);
        if (closure?.closedAt) {
          const error = new GraphQLError(
            `This tenant was closed on ${closure.closedAt.toISOString()}: reading, exports and privacy requests still work until its data is deleted on ${closure.deletionDueAt?.toISOString()}`,
            {
              path: [closedBlocks.key],
              extensions: {
                code: "TENANT_CLOSED",
                closedAt: closure.closedAt.toISOString(),
                deletionDueAt: closure.deletionDueAt?.toISOString(),
              },
            },
          );
          setResultAndStopExecution({ data: null, errors: [error] });
          return;
        }
      }
      if (!ctx.plugins.billing) return;
      const blocked = fields.find((f) => !Object.hasOwn(ALLOWED_WHILE_READ_ONLY, f.name));
      if (!blocked) return;
      if (!isReadOnly(ctx.plugins.billing, await accountOf(ctx.db))) return;
      // At the first refused field's path, so that the audit log records that mutation as refused.
      const error = new GraphQLError(
        "This tenant is read-only until its overdue payment succeeds: reading, billing and privacy requests still work",
        {
          path: [blocked.key],
          extensions: { code: "TENANT_READ_ONLY" },
        },
      );
      setResultAndStopExecution({ data: null, errors: [error] });
    },
  };
}
