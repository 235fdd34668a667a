import { z } from "zod";
import { builder } from "../graphql/builder.js";
import { MAX_KEEP_DAYS, removeRetentionRule, retentionPolicy, setRetentionRule, type PolicyEntry } from "./service.js";
import type { SweepCounts } from "./sweep.js";
import { TARGET_NAMES, TARGETS, isTargetName, type TargetName } from "./targets.js";

const RetentionTarget = builder.enumType("RetentionTarget", {
  description: "What a retention rule can apply to.",
  values: Object.fromEntries(TARGET_NAMES.map((name) => [name, { description: TARGETS[name].description }])) as Record<
    TargetName,
    { description: string }
  >,
});

const RetentionAction = builder.enumType("RetentionAction", {
  values: {
    DELETE: { description: "Remove the rows" },
    ANONYMIZE: { description: "Keep the rows, without the personal data in them" },
  },
});

const RetentionRule = builder.objectRef<PolicyEntry>("RetentionRule").implement({
  description:
    "How long one kind of data is kept in this tenant, and what happens to it then. keepDays and action are null while no rule is set: such data is kept until erased on request.",
  fields: (t) => ({
    target: t.field({ type: RetentionTarget, resolve: (e) => e.target }),
    description: t.string({ resolve: (e) => TARGETS[e.target].description }),
    category: t.string({
      description: "The main data category concerned (see dataCategories)",
      resolve: (e) => TARGETS[e.target].category,
    }),
    categories: t.stringList({ description: "Every data category removed with it", resolve: (e) => TARGETS[e.target].categories }),
    allowedActions: t.field({ type: [RetentionAction], resolve: (e) => TARGETS[e.target].actions }),
    respectsLegalHold: t.boolean({
      description: "Rows of a contact under a legal hold are kept (and counted as skippedForHold)",
      resolve: (e) => TARGETS[e.target].respectsLegalHold,
    }),
    keepDays: t.int({ nullable: true, resolve: (e) => TARGETS[e.target].fixed?.keepDays ?? e.rule?.keepDays ?? null }),
    action: t.field({ type: RetentionAction, nullable: true, resolve: (e) => TARGETS[e.target].fixed?.action ?? e.rule?.action ?? null }),
    fixed: t.boolean({
      description: "The period is the product's promise, applied without a rule; setRetentionRule refuses to change it",
      resolve: (e) => TARGETS[e.target].fixed !== undefined,
    }),
    updatedAt: t.field({ type: "DateTime", nullable: true, resolve: (e) => e.rule?.updatedAt ?? null }),
    suggestedKeepDays: t.int({
      description: "A starting point; nothing is swept until a rule is set",
      resolve: (e) => TARGETS[e.target].suggested.keepDays,
    }),
    suggestedAction: t.field({ type: RetentionAction, resolve: (e) => TARGETS[e.target].suggested.action }),
    suggestionReason: t.string({ resolve: (e) => TARGETS[e.target].suggested.why }),
  }),
});

builder.queryField("retentionPolicy", (t) =>
  t.field({
    type: [RetentionRule],
    description: "Every retention target with this tenant's rule for it (or nulls when none is set).",
    authScopes: { permission: "privacy:manage" },
    resolve: (_r, _a, ctx) => retentionPolicy(ctx),
  }),
);

builder.mutationField("setRetentionRule", (t) =>
  t.field({
    type: RetentionRule,
    description: "Keeps the target's data for keepDays, then deletes or anonymises it at the next sweep. Replaces an existing rule.",
    authScopes: { permission: "privacy:manage" },
    args: {
      target: t.arg({ type: RetentionTarget, required: true }),
      keepDays: t.arg.int({ required: true, validate: z.number().int().min(1, "must be at least 1").max(MAX_KEEP_DAYS) }),
      action: t.arg({ type: RetentionAction, required: true, description: "One of the target's allowedActions" }),
    },
    resolve: (_r, args, ctx) => setRetentionRule(ctx, args.target, args.keepDays, args.action),
  }),
);

builder.mutationField("removeRetentionRule", (t) =>
  t.field({
    type: RetentionRule,
    description: "Stops sweeping the target (NOT_FOUND when no rule is set). What was already removed stays removed.",
    authScopes: { permission: "privacy:manage" },
    args: { target: t.arg({ type: RetentionTarget, required: true }) },
    resolve: (_r, args, ctx) => removeRetentionRule(ctx, args.target),
  }),
);

// ---- sweep runs ----

interface SweepCountShape {
  target: TargetName;
  action: "DELETE" | "ANONYMIZE";
  keepDays: number;
  processed: number;
  skippedForHold: number;
}

const SweepCount = builder.objectRef<SweepCountShape>("SweepCount").implement({
  fields: (t) => ({
    target: t.field({ type: RetentionTarget, resolve: (c) => c.target }),
    action: t.field({ type: RetentionAction, resolve: (c) => c.action }),
    keepDays: t.exposeInt("keepDays", { description: "The rule's period when the sweep ran" }),
    processed: t.exposeInt("processed", { description: "Rows deleted or anonymised" }),
    skippedForHold: t.exposeInt("skippedForHold", {
      description: "Expired rows kept because of a legal hold (or, for contacts, a restriction)",
    }),
  }),
});

const countsOf = (json: unknown): SweepCountShape[] =>
  Object.entries((json ?? {}) as SweepCounts)
    .filter(([target]) => isTargetName(target))
    .map(([target, c]) => ({ target: target as TargetName, ...c! }));

builder.prismaNode("SweepRun", {
  id: { field: "id" },
  description:
    "One retention sweep of this tenant. Counts are updated after every batch; a run without finishedAt stopped early and the next sweep completed its work.",
  authScopes: { permission: "privacy:manage" },
  fields: (t) => ({
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    finished: t.boolean({ resolve: (r) => r.finishedAt !== null }),
    counts: t.field({ type: [SweepCount], description: "Per configured target, in sweep order", resolve: (r) => countsOf(r.counts) }),
    processed: t.int({
      description: "Rows deleted or anonymised, all targets",
      resolve: (r) => countsOf(r.counts).reduce((n, c) => n + c.processed, 0),
    }),
    skippedForHold: t.exposeInt("skippedForHold", { description: "Expired rows kept because of a legal hold, all targets" }),
  }),
});

builder.queryField("sweepRuns", (t) =>
  t.prismaConnection({
    type: "SweepRun",
    cursor: "id",
    description: "Retention sweeps of this tenant, newest first.",
    authScopes: { permission: "privacy:manage" },
    totalCount: (_p, _a, ctx) => ctx.db.sweepRun.count(),
    resolve: (query, _p, _a, ctx) => ctx.db.sweepRun.findMany({ ...query, orderBy: [{ startedAt: "desc" }, { id: "desc" }] }),
  }),
);
