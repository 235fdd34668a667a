import { encodeGlobalID } from "@pothos/plugin-relay";
import { z } from "zod";
import { Agent } from "../agents/schema.js";
import { AppError } from "../errors.js";
import { builder } from "../graphql/builder.js";
import { Ticket, TicketPriority, TicketStatus } from "../tickets/schema.js";
import { nameSchema } from "../validation.js";
import { CONDITION_OPS, type Action, type Condition } from "./rule.js";
import * as automations from "./service.js";
import { typed } from "./store.js";
import type { Timer } from "./timer.js";
import { CONDITION_FIELDS } from "./validate.js";

/** The team's workflow is the admins' to shape, like its agents and keys. */
const MANAGE = { permission: "agents:manage" } as const;

const AutomationTrigger = builder.enumType("AutomationTrigger", {
  values: {
    TICKET_CREATED: { description: "A ticket was created" },
    TICKET_UPDATED: { description: "A ticket's fields, status or assignee changed (once per batch of changes to it)" },
    MESSAGE_ADDED: { description: "A reply or a note was added, the first message of a new ticket included" },
    SLA_WARNING: {
      description: "A ticket's running SLA target is close to its due time (the policy's warning), once per target and cycle",
    },
    SLA_BREACHED: { description: "A ticket missed its SLA target, once per target and cycle" },
    TIME_ELAPSED: {
      description:
        "The rule's timer is up for a ticket (e.g. 3 days in PENDING, 24 business hours since the last change); the rule needs `timer`. Once per ticket and start of the clock",
    },
  } as const,
});
const AutomationTimerSince = builder.enumType("AutomationTimerSince", {
  values: {
    CREATED: { description: "Since the ticket was created" },
    LAST_UPDATE: {
      description: "Since the ticket's last change (fields, status, assignee, a reply or a note); the rule's own changes do not restart it",
    },
    STATUS: { description: "Since the ticket entered `status`, while it stays in it" },
  } as const,
});

const AutomationTimer = builder.objectRef<Timer>("AutomationTimer").implement({
  description: "When a TIME_ELAPSED rule fires for a ticket",
  fields: (t) => ({
    minutes: t.exposeInt("minutes", { description: "How long after the start of the clock" }),
    since: t.field({ type: AutomationTimerSince, resolve: (x) => x.since }),
    status: t.field({ type: TicketStatus, nullable: true, description: "With since STATUS", resolve: (x) => x.status ?? null }),
    businessHours: t.exposeBoolean("businessHours", {
      description: "Counted in the open hours of the tenant's default calendar (round the clock without one); otherwise in real minutes",
    }),
  }),
});

const AutomationTimerInput = builder.inputType("AutomationTimerInput", {
  fields: (t) => ({
    minutes: t.int({ required: true, description: "1 to 525600" }),
    since: t.field({ type: AutomationTimerSince, required: true }),
    status: t.field({ type: TicketStatus, description: "Required with since STATUS, refused otherwise" }),
    businessHours: t.boolean({ description: "Default false: real minutes" }),
  }),
});

const AutomationConditionOp = builder.enumType("AutomationConditionOp", { values: CONDITION_OPS });
const AutomationActionType = builder.enumType("AutomationActionType", {
  values: {
    SET_STATUS: { description: "status" },
    SET_PRIORITY: { description: "priority" },
    SET_ASSIGNEE: { description: "agentId; null unassigns" },
    ADD_TAGS: { description: "tags" },
    REMOVE_TAGS: { description: "tags" },
    SET_TEAM: { description: "teamId" },
    SET_CUSTOM_FIELD: { description: "key, value" },
    ADD_NOTE: { description: "body: an internal note, a template with the macro placeholders" },
    SEND_MACRO: { description: "macroId: a shared macro's reply, as a public message (automations only)" },
    CALL_WEBHOOK: { description: "webhookEndpointId: the event that fired the rule, delivered to that endpoint (automations only)" },
  } as const,
});

/** Condition fields whose value is a node's ID: stored as the raw id, given and shown as the global ID. */
const ID_FIELDS: Record<string, string | undefined> = { assignee: "Agent", team: "Team", "sla.policy": "SlaPolicy" };

const AutomationCondition = builder.objectRef<Condition>("AutomationCondition").implement({
  description: "A comparison of one field of the ticket, or of the message that fired a MESSAGE_ADDED rule",
  fields: (t) => ({
    field: t.exposeString("field", {
      description: `One of ${Object.keys(CONDITION_FIELDS).join(", ")}, or custom:<key> for a custom field`,
    }),
    op: t.field({ type: AutomationConditionOp, resolve: (c) => c.op }),
    value: t.string({
      nullable: true,
      description:
        "The value compared (an Agent's ID for assignee, a Team's for team, an SlaPolicy's for sla.policy, a whole number for LT and GT); null for IN, NOT_IN, IS_SET, NOT_SET",
      resolve: (c) => (typeof c.value === "string" ? (ID_FIELDS[c.field] ? encodeGlobalID(ID_FIELDS[c.field]!, c.value) : c.value) : null),
    }),
    values: t.stringList({
      nullable: true,
      description: "The values of IN and NOT_IN",
      resolve: (c) => (Array.isArray(c.value) ? c.value : null),
    }),
  }),
});

const AutomationConditions = builder.objectRef<{ all: Condition[]; any: Condition[] }>("AutomationConditions").implement({
  fields: (t) => ({
    all: t.field({ type: [AutomationCondition], description: "Every one must hold", resolve: (c) => c.all }),
    any: t.field({ type: [AutomationCondition], description: "When not empty, at least one must hold", resolve: (c) => c.any }),
  }),
});

export const AutomationAction = builder.objectRef<Action>("AutomationAction").implement({
  description: "A change a rule or a macro makes; only the fields of its type are set",
  fields: (t) => ({
    type: t.field({ type: AutomationActionType, resolve: (a) => a.type }),
    status: t.field({ type: TicketStatus, nullable: true, resolve: (a) => (a.type === "SET_STATUS" ? a.status : null) }),
    priority: t.field({ type: TicketPriority, nullable: true, resolve: (a) => (a.type === "SET_PRIORITY" ? a.priority : null) }),
    agentId: t.id({ nullable: true, resolve: (a) => (a.type === "SET_ASSIGNEE" && a.agentId ? encodeGlobalID("Agent", a.agentId) : null) }),
    tags: t.stringList({ nullable: true, resolve: (a) => (a.type === "ADD_TAGS" || a.type === "REMOVE_TAGS" ? a.tags : null) }),
    teamId: t.id({ nullable: true, resolve: (a) => (a.type === "SET_TEAM" && a.teamId ? encodeGlobalID("Team", a.teamId) : null) }),
    key: t.string({ nullable: true, resolve: (a) => (a.type === "SET_CUSTOM_FIELD" ? a.key : null) }),
    value: t.field({ type: "JSON", nullable: true, resolve: (a) => (a.type === "SET_CUSTOM_FIELD" ? a.value : null) }),
    body: t.string({ nullable: true, description: "The note's template", resolve: (a) => (a.type === "ADD_NOTE" ? a.body : null) }),
    macroId: t.id({ nullable: true, resolve: (a) => (a.type === "SEND_MACRO" ? encodeGlobalID("Macro", a.macroId) : null) }),
    webhookEndpointId: t.id({
      nullable: true,
      resolve: (a) => (a.type === "CALL_WEBHOOK" ? encodeGlobalID("WebhookEndpoint", a.endpointId) : null),
    }),
  }),
});

const AutomationRule = builder.prismaNode("AutomationRule", {
  id: { field: "id" },
  description: "An event-condition-action rule. Rules run after the change that fired them is committed, in position order.",
  authScopes: MANAGE,
  fields: (t) => ({
    name: t.exposeString("name"),
    trigger: t.field({ type: AutomationTrigger, resolve: (r) => typed(r).trigger }),
    conditions: t.field({ type: AutomationConditions, resolve: (r) => typed(r).conditions }),
    actions: t.field({ type: [AutomationAction], resolve: (r) => typed(r).actions }),
    timer: t.field({
      type: AutomationTimer,
      nullable: true,
      description: "TIME_ELAPSED rules: when they fire",
      resolve: (r) => typed(r).timer,
    }),
    position: t.exposeInt("position", { description: "Rules run in ascending position" }),
    enabled: t.exposeBoolean("enabled"),
    disabledReason: t.exposeString("disabledReason", {
      nullable: true,
      description: "Set when the server turned the rule off because it names something that is gone; saving it again clears it",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const AutomationRunOutcome = builder.enumType("AutomationRunOutcome", {
  values: {
    APPLIED: { description: "The actions were applied" },
    FAILED: { description: "The actions could not be applied (error says why); nothing of them was written" },
    DISABLED: { description: "The rule names something that is gone; it was disabled" },
    SKIPPED: { description: "The event was MAX_DEPTH automated changes deep: no rule runs on it" },
  } as const,
});

builder.prismaNode("AutomationRun", {
  id: { field: "id" },
  description: "One rule fired by one event: what it changed, or why not. Ids and field names only, never content.",
  authScopes: MANAGE,
  fields: (t) => ({
    rule: t.relation("rule", { nullable: true, description: "Null once deleted" }),
    ticketId: t.id({ nullable: true, resolve: (r) => (r.ticketId ? encodeGlobalID("Ticket", r.ticketId) : null) }),
    eventSeq: t.exposeInt("eventSeq", { description: "The event that fired it (TicketEvent.seq)" }),
    eventType: t.exposeString("eventType"),
    depth: t.exposeInt("depth", { description: "How many automated changes led to the event (0: a person's change)" }),
    outcome: t.field({ type: AutomationRunOutcome, resolve: (r) => r.outcome as "APPLIED" }),
    changes: t.field({ type: "JSON", description: "[{ action, … }] as applied", resolve: (r) => r.changes }),
    error: t.exposeString("error", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.queryField("automationRules", (t) =>
  t.field({
    type: [AutomationRule],
    description: "The tenant's automation rules in the order they run.",
    authScopes: MANAGE,
    resolve: (_p, _a, ctx) => automations.listRules(ctx),
  }),
);

builder.queryField("automationRuns", (t) =>
  t.prismaConnection({
    type: "AutomationRun",
    cursor: "id",
    description: "The execution log, newest first: which rule fired on which event and what it did.",
    authScopes: MANAGE,
    args: { ruleId: t.arg.globalID({ for: AutomationRule }), ticketId: t.arg.globalID({ for: Ticket }) },
    resolve: (query, _p, args, ctx) =>
      ctx.db.automationRun.findMany({
        ...query,
        where: { ...(args.ruleId ? { ruleId: args.ruleId.id } : {}), ...(args.ticketId ? { ticketId: args.ticketId.id } : {}) },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      }),
  }),
);

const AutomationConditionResult = builder.objectRef<automations.TestResult["conditions"][number]>("AutomationConditionResult").implement({
  fields: (t) => ({
    group: t.string({ description: "all or any", resolve: (c) => c.group }),
    condition: t.field({ type: AutomationCondition, resolve: (c) => c.condition }),
    holds: t.exposeBoolean("holds"),
  }),
});

const AutomationTestResult = builder.objectRef<automations.TestResult>("AutomationTestResult").implement({
  fields: (t) => ({
    rule: t.field({ type: AutomationRule, resolve: (r) => r.rule }),
    matched: t.exposeBoolean("matched", { description: "The rule is enabled and its conditions hold for the ticket now" }),
    conditions: t.field({ type: [AutomationConditionResult], resolve: (r) => r.conditions }),
    actions: t.field({
      type: [AutomationAction],
      description: "What it would do (empty when it does not match)",
      resolve: (r) => r.actions,
    }),
  }),
});

builder.queryField("testAutomation", (t) =>
  t.field({
    type: [AutomationTestResult],
    description:
      "A dry run on a ticket as it is now: which rules (or the one given) match, condition by condition, and what they would do. Writes nothing; MESSAGE_ADDED rules are tried on the ticket's latest message.",
    authScopes: MANAGE,
    args: { ticketId: t.arg.globalID({ for: Ticket, required: true }), ruleId: t.arg.globalID({ for: AutomationRule }) },
    resolve: (_p, args, ctx) => automations.testRules(ctx, args.ticketId.id, args.ruleId?.id),
  }),
);

const AutomationConditionInput = builder.inputType("AutomationConditionInput", {
  fields: (t) => ({
    field: t.string({ required: true, validate: z.string().max(200) }),
    op: t.field({ type: AutomationConditionOp, required: true }),
    value: t.string({
      description:
        "For EQ, NEQ, CONTAINS, NOT_CONTAINS (an Agent's ID for assignee, a Team's for team, an SlaPolicy's for sla.policy); a whole number for LT, GT",
    }),
    values: t.stringList({ description: "For IN and NOT_IN" }),
  }),
});

const AutomationConditionsInput = builder.inputType("AutomationConditionsInput", {
  fields: (t) => ({
    all: t.field({ type: [AutomationConditionInput], description: "Every one must hold" }),
    any: t.field({ type: [AutomationConditionInput], description: "At least one must hold (when not empty)" }),
  }),
});

export const AutomationActionInput = builder.inputType("AutomationActionInput", {
  fields: (t) => ({
    type: t.field({ type: AutomationActionType, required: true }),
    status: t.field({ type: TicketStatus }),
    priority: t.field({ type: TicketPriority }),
    agentId: t.globalID({ for: Agent, description: "SET_ASSIGNEE: the agent; null unassigns" }),
    tags: t.stringList(),
    teamId: t.id({ description: "SET_TEAM: the Team's ID, null to take the ticket out of its team" }),
    key: t.string({ description: "SET_CUSTOM_FIELD: the ticket field's key" }),
    value: t.field({
      type: "JSON",
      description:
        'SET_CUSTOM_FIELD: a string (TEXT, SINGLE_SELECT, DATE as "YYYY-MM-DD"), a number, a boolean, or a list of options (MULTI_SELECT); null clears the value',
    }),
    body: t.string({ validate: z.string().max(65_536) }),
    macroId: t.globalID({ description: "SEND_MACRO: a shared Macro" }),
    webhookEndpointId: t.globalID({ description: "CALL_WEBHOOK: a WebhookEndpoint" }),
  }),
});

type ConditionArg = { field: string; op: Condition["op"]; value?: string | null; values?: string[] | null };
type IdArg = { typename: string; id: string } | null | undefined;

/** The API's condition: IDs decoded, value or values by operator. */
function conditionFrom(c: ConditionArg): Condition {
  const list = c.op === "IN" || c.op === "NOT_IN";
  let value: Condition["value"] = list ? (c.values ?? null) : (c.value ?? null);
  const typename = ID_FIELDS[c.field];
  if (typename && typeof value === "string") value = idOf(value, typename, ["value"]);
  return { field: c.field, op: c.op, value };
}

function idOf(globalId: string, typename: string, path: string[]): string {
  try {
    const [type, id] = Buffer.from(globalId, "base64").toString("utf8").split(":");
    if (type === typename && id) return id;
  } catch {}
  throw new AppError("VALIDATION", `Expected the ID of a ${typename}`, { fields: [{ path, message: `not a ${typename} ID` }] });
}

const expect = (id: IdArg, typename: string, field: string): string => {
  if (!id) return "";
  if (id.typename !== typename) {
    throw new AppError("VALIDATION", `${field} must be the ID of a ${typename}`, {
      fields: [{ path: ["input", "actions", field], message: `not a ${typename} ID` }],
    });
  }
  return id.id;
};

type ActionArg = {
  type: Action["type"];
  status?: string | null;
  priority?: string | null;
  agentId?: IdArg;
  tags?: string[] | null;
  teamId?: string | number | null;
  key?: string | null;
  value?: unknown;
  body?: string | null;
  macroId?: IdArg;
  webhookEndpointId?: IdArg;
};

/** The API's action as the service takes it; the service checks it (validate.ts). */
export function actionFrom(a: ActionArg): Action {
  return {
    type: a.type,
    status: a.status ?? undefined,
    priority: a.priority ?? undefined,
    agentId: a.agentId === null ? null : a.agentId ? a.agentId.id : undefined,
    tags: a.tags ?? undefined,
    teamId: a.teamId === null || a.teamId === undefined ? null : idOf(String(a.teamId), "Team", ["input", "actions", "teamId"]),
    key: a.key ?? undefined,
    value: a.value,
    body: a.body ?? undefined,
    macroId: expect(a.macroId, "Macro", "macroId") || undefined,
    endpointId: expect(a.webhookEndpointId, "WebhookEndpoint", "webhookEndpointId") || undefined,
  } as unknown as Action;
}

const CreateAutomationRuleInput = builder.inputType("CreateAutomationRuleInput", {
  fields: (t) => ({
    name: t.string({ required: true, validate: nameSchema }),
    trigger: t.field({ type: AutomationTrigger, required: true }),
    conditions: t.field({ type: AutomationConditionsInput }),
    actions: t.field({ type: [AutomationActionInput], required: true }),
    timer: t.field({ type: AutomationTimerInput, description: "Required by TIME_ELAPSED rules, refused by others" }),
    enabled: t.boolean({ description: "Default true" }),
  }),
});

const UpdateAutomationRuleInput = builder.inputType("UpdateAutomationRuleInput", {
  fields: (t) => ({
    name: t.string({ validate: nameSchema }),
    trigger: t.field({ type: AutomationTrigger }),
    conditions: t.field({ type: AutomationConditionsInput }),
    actions: t.field({ type: [AutomationActionInput] }),
    timer: t.field({
      type: AutomationTimerInput,
      description:
        "A new timer for a TIME_ELAPSED rule: timers already running for tickets are cancelled, the new one starts at each ticket's next change",
    }),
    enabled: t.boolean({ description: "true also enables a rule the server disabled, once it passes the checks again" }),
  }),
});

const conditionsFrom = (c: { all?: ConditionArg[] | null; any?: ConditionArg[] | null } | null | undefined) =>
  c ? { all: (c.all ?? []).map(conditionFrom), any: (c.any ?? []).map(conditionFrom) } : null;

builder.mutationField("createAutomationRule", (t) =>
  t.field({
    type: AutomationRule,
    description: "Adds a rule after the tenant's others. References (agents, macros, webhooks, fields) are checked now.",
    authScopes: MANAGE,
    args: { input: t.arg({ type: CreateAutomationRuleInput, required: true }) },
    resolve: (_p, { input }, ctx) =>
      automations.createRule(ctx, {
        name: input.name,
        trigger: input.trigger,
        conditions: conditionsFrom(input.conditions),
        actions: input.actions.map(actionFrom),
        timer: input.timer,
        enabled: input.enabled,
      }),
  }),
);

builder.mutationField("updateAutomationRule", (t) =>
  t.field({
    type: AutomationRule,
    authScopes: MANAGE,
    args: {
      id: t.arg.globalID({ for: AutomationRule, required: true }),
      input: t.arg({ type: UpdateAutomationRuleInput, required: true }),
    },
    resolve: (_p, { id, input }, ctx) =>
      automations.updateRule(ctx, id.id, {
        name: input.name,
        trigger: input.trigger,
        conditions: conditionsFrom(input.conditions),
        actions: input.actions?.map(actionFrom),
        timer: input.timer,
        enabled: input.enabled,
      }),
  }),
);

builder.mutationField("deleteAutomationRule", (t) =>
  t.boolean({
    description: "Deletes the rule; its runs stay in the log without it.",
    authScopes: MANAGE,
    args: { id: t.arg.globalID({ for: AutomationRule, required: true }) },
    resolve: async (_p, { id }, ctx) => {
      await automations.deleteRule(ctx, id.id);
      return true;
    },
  }),
);

builder.mutationField("reorderAutomationRules", (t) =>
  t.field({
    type: [AutomationRule],
    description: "Sets the order rules run in: every rule's ID, each once, first to run first.",
    authScopes: MANAGE,
    args: { ids: t.arg.globalIDList({ for: AutomationRule, required: true, validate: z.array(z.any()).max(automations.MAX_RULES) }) },
    resolve: (_p, { ids }, ctx) =>
      automations.reorderRules(
        ctx,
        ids.map((i) => i.id),
      ),
  }),
);
