import { z } from "zod";
import { Agent } from "../agents/schema.js";
import { ApiKey } from "../api-keys/schema.js";
import { Contact } from "../contacts/schema.js";
import { builder } from "../graphql/builder.js";
import { requireViewer, type Context } from "../context.js";
import type { ActorType as Actor } from "../generated/prisma/enums.js";
import { verifyAuditChain, type ChainVerification } from "./verify.js";

/** Who acted, in audit entries, consent records and data-subject requests. */
export const ActorType = builder.enumType("ActorType", { values: ["AGENT", "API_KEY", "CONTACT", "SYSTEM"] as const });

builder.prismaNode("AuditEntry", {
  id: { field: "id" },
  description:
    "One entry of the tenant's append-only, hash-chained audit log. Names the actor and the data subject by id; never holds personal data.",
  authScopes: { permission: "privacy:manage" },
  fields: (t) => ({
    seq: t.int({
      description: "Position in the tenant's log: 1, 2, 3… without gaps (the oldest may have been pruned), in commit order",
      resolve: (e) => e.seq!,
    }),
    at: t.expose("at", { type: "DateTime" }),
    actorType: t.expose("actorType", { type: ActorType }),
    actorId: t.exposeString("actorId", {
      nullable: true,
      description: "The agent's, API key's or contact's raw id; plugin:<id> for plugins; null for the system",
    }),
    action: t.exposeString("action", {
      description: "mutation.<field>, personalData.read, audit.pruned, … Dotted, so that actionPrefix can select a family",
    }),
    subjectType: t.exposeString("subjectType", { nullable: true, description: "Contact when the entry concerns a data subject" }),
    subjectId: t.exposeString("subjectId", { nullable: true, description: "The data subject's raw id" }),
    subjectIds: t.exposeStringList("subjectIds", {
      description:
        "personalData.read: the raw ids of every data subject the request read (details.subjects has the categories of each); empty otherwise",
    }),
    categories: t.exposeStringList("categories", { description: "Data categories concerned (personalData.read: the ones read), sorted" }),
    details: t.field({
      type: "JSON",
      nullable: true,
      description:
        "Ids, codes and outcomes, never personal data. Mutations: { outcome, errorCode, ids: [{ type, id }] }; personalData.read: { rootFields, subjects: { <id>: { type, categories } } }, and for a subscription's window of deliveries also { subscription: true, from, to, deliveries }",
      resolve: (e) => e.details,
    }),
    requestId: t.exposeString("requestId", { nullable: true, description: "The x-request-id of the request that caused it" }),
    prevHash: t.string({ description: "The hash of the entry before it (empty for the first)", resolve: (e) => e.prevHash! }),
    hash: t.string({ description: "sha256 of prevHash and the entry's canonical JSON", resolve: (e) => e.hash! }),
  }),
});

const AuditFilter = builder.inputType("AuditFilter", {
  description: "All given conditions must hold.",
  fields: (t) => ({
    action: t.string({ description: "Exactly this action, e.g. personalData.read", validate: z.string().min(1).max(100) }),
    actionPrefix: t.string({ description: "Actions starting with this, e.g. mutation.", validate: z.string().min(1).max(100) }),
    actorType: t.field({ type: ActorType }),
    actorId: t.globalID({ for: [Agent, ApiKey, Contact], description: "The global ID of the agent, API key or contact who acted" }),
    subjectId: t.globalID({ for: Contact, description: "Entries about this data subject" }),
    requestId: t.string({ validate: z.string().min(1).max(100) }),
    since: t.field({ type: "DateTime", description: "At or after" }),
    until: t.field({ type: "DateTime", description: "Before" }),
  }),
});

const ACTOR_OF_TYPE: Record<string, Actor> = { Agent: "AGENT", ApiKey: "API_KEY", Contact: "CONTACT" };

interface AuditFilterArgs {
  action?: string | null;
  actionPrefix?: string | null;
  actorType?: Actor | null;
  actorId?: { typename: string; id: string } | null;
  subjectId?: { id: string } | null;
  requestId?: string | null;
  since?: Date | null;
  until?: Date | null;
}

/** Sealed entries only: numbered and chained by the sequencer. */
function auditWhere(f: AuditFilterArgs | null | undefined) {
  const and: object[] = [{ seq: { not: null } }];
  if (!f) return { AND: and };
  if (f.action) and.push({ action: f.action });
  if (f.actionPrefix) and.push({ action: { startsWith: f.actionPrefix } });
  if (f.actorType) and.push({ actorType: f.actorType });
  if (f.actorId) and.push({ actorType: ACTOR_OF_TYPE[f.actorId.typename], actorId: f.actorId.id });
  if (f.subjectId) and.push({ OR: [{ subjectType: "Contact", subjectId: f.subjectId.id }, { subjectIds: { has: f.subjectId.id } }] });
  if (f.requestId) and.push({ requestId: f.requestId });
  if (f.since) and.push({ at: { gte: f.since } });
  if (f.until) and.push({ at: { lt: f.until } });
  return { AND: and };
}

/** Per request: everything its tenant committed before it, numbered (the list and its count wait for one run). */
const sealedForRequest = new WeakMap<Context, Promise<void>>();

function sealedBefore(ctx: Context): Promise<void> {
  let sealed = sealedForRequest.get(ctx);
  if (!sealed) sealedForRequest.set(ctx, (sealed = ctx.realtime.sequencer.kick(requireViewer(ctx).tenantId)));
  return sealed;
}

builder.queryField("auditLog", (t) =>
  t.prismaConnection({
    type: "AuditEntry",
    cursor: "id",
    description:
      "The audit log, newest first: every mutation, every read of personal data (one entry per request, naming every subject read), and what services record, such as data-subject request steps and audit.pruned. Entries are numbered and chained shortly after their request commits; this query first waits for everything committed before it to be numbered.",
    authScopes: { permission: "privacy:manage" },
    args: { filter: t.arg({ type: AuditFilter }) },
    // Asked alone, the count is all that runs (no list is read): it waits for the numbering itself.
    totalCount: async (_p, args, ctx) => {
      await sealedBefore(ctx);
      return ctx.db.auditEntry.count({ where: auditWhere(args.filter) });
    },
    resolve: async (query, _p, args, ctx) => {
      await sealedBefore(ctx);
      return ctx.db.auditEntry.findMany({ ...query, where: auditWhere(args.filter), orderBy: { seq: "desc" } });
    },
  }),
);

const AuditChainVerification = builder.objectRef<ChainVerification>("AuditChainVerification").implement({
  description: "The result of recomputing every hash of the tenant's audit log, oldest to newest.",
  fields: (t) => ({
    valid: t.exposeBoolean("valid", { description: "No entry was changed, removed or added outside the log" }),
    checkedEntries: t.exposeInt("checkedEntries", { description: "Entries verified (before the first invalid one)" }),
    firstInvalidSeq: t.exposeInt("firstInvalidSeq", { nullable: true, description: "The first entry that is changed or missing" }),
    reason: t.exposeString("reason", { nullable: true }),
    headSeq: t.exposeInt("headSeq", { description: "The newest entry's seq when verification started" }),
    headHash: t.exposeString("headHash", { description: "Its hash: keep it somewhere else to detect a rewrite of the whole log" }),
  }),
});

builder.queryField("verifyAuditChain", (t) =>
  t.field({
    type: AuditChainVerification,
    description:
      "Checks that the audit log is intact: every entry's hash, every link, and the head. First waits for everything committed before it to be numbered.",
    authScopes: { permission: "privacy:manage" },
    resolve: async (_r, _a, ctx) => {
      const { tenantId } = requireViewer(ctx);
      await ctx.realtime.sequencer.kick(tenantId);
      return verifyAuditChain(ctx.database, tenantId);
    },
  }),
);
