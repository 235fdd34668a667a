import type { TenantClient } from "../db/tenant-scope.js";
import type { Tx } from "../db/tx.js";
import { AppError, type FieldProblem } from "../errors.js";
import { checkTemplate } from "../macros/template.js";
import { tagSchema } from "../validation.js";
import {
  ACTION_TYPES,
  CONDITION_OPS,
  type Action,
  type ActionType,
  type Condition,
  type ConditionOp,
  type Conditions,
  type Trigger,
} from "./rule.js";
import { customFields, sla, teams } from "./seams.js";

type Db = TenantClient | Tx;
type Path = (string | number)[];

const LIMITS = { conditions: 50, actions: 20, values: 100, text: 500 } as const;

const STATUSES = ["NEW", "OPEN", "PENDING", "SOLVED", "CLOSED"];
const PRIORITIES = ["LOW", "NORMAL", "HIGH", "URGENT"];
const CHANNELS = ["EMAIL", "SMS", "WEB", "API", "PHONE", "CHAT"];
const AUTHORS = ["CONTACT", "AGENT", "SYSTEM"];

const LIST: ConditionOp[] = ["EQ", "NEQ", "IN", "NOT_IN"];
const TEXT: ConditionOp[] = ["CONTAINS", "NOT_CONTAINS"];
const PRESENCE: ConditionOp[] = ["IS_SET", "NOT_SET"];
const COMPARE: ConditionOp[] = ["LT", "GT"];
const SLA_TARGETS = ["FIRST_RESPONSE", "NEXT_RESPONSE", "RESOLUTION"];

/** Per field: the operators it takes, the values it allows (none: any text), and the triggers it needs. */
interface FieldSpec {
  ops: ConditionOp[];
  values?: string[];
  /** Only rules on these triggers have the field (the message of a MESSAGE_ADDED event). */
  triggers?: Trigger[];
  /** The value is a whole number (LT, GT). */
  whole?: boolean;
}

export const CONDITION_FIELDS: Record<string, FieldSpec> = {
  status: { ops: LIST, values: STATUSES },
  priority: { ops: LIST, values: PRIORITIES },
  channel: { ops: LIST, values: CHANNELS },
  tags: { ops: [...TEXT, ...PRESENCE] },
  assignee: { ops: ["EQ", "NEQ", ...PRESENCE] },
  team: { ops: ["EQ", "NEQ", ...PRESENCE] },
  subject: { ops: TEXT },
  "requester.emailDomain": { ops: LIST },
  body: { ops: TEXT, triggers: ["MESSAGE_ADDED"] },
  "message.internal": { ops: ["EQ"], values: ["true", "false"], triggers: ["MESSAGE_ADDED"] },
  "message.author": { ops: LIST, values: AUTHORS, triggers: ["MESSAGE_ADDED"] },
  "sla.breached": { ops: ["EQ"], values: ["true", "false"] },
  "sla.breachedTargets": { ops: TEXT, values: SLA_TARGETS },
  "sla.dueInMinutes": { ops: [...COMPARE, ...PRESENCE], whole: true },
  "sla.policy": { ops: ["EQ", "NEQ", ...PRESENCE] },
};

/** Custom fields are named `custom:<key>`. */
export const CUSTOM_PREFIX = "custom:";
const CUSTOM_OPS: ConditionOp[] = [...LIST, ...TEXT, ...PRESENCE];

/**
 * Checks a rule's conditions, all problems at once: known fields and
 * operators, values of the right kind, references that exist in the tenant.
 * Returns them normalised (lower-case tags and domains, lists for IN).
 */
export async function checkConditions(db: Db, trigger: Trigger, input: Conditions): Promise<Conditions> {
  const problems: FieldProblem[] = [];
  const out: Conditions = { all: [], any: [] };
  for (const group of ["all", "any"] as const) {
    const list = input[group];
    if (list.length > LIMITS.conditions) problems.push({ path: ["input", "conditions", group], message: `at most ${LIMITS.conditions}` });
    for (const [i, c] of list.entries()) {
      const path = ["input", "conditions", group, i];
      const checked = await checkCondition(db, trigger, c, path, problems);
      if (checked) out[group].push(checked);
    }
  }
  if (problems.length) throw invalid("The rule's conditions are not valid", problems);
  return out;
}

async function checkCondition(db: Db, trigger: Trigger, c: Condition, path: Path, problems: FieldProblem[]): Promise<Condition | null> {
  const problem = (message: string, at = "field") => {
    problems.push({ path: [...path, at], message });
    return null;
  };
  if (!CONDITION_OPS.includes(c.op)) return problem(`unknown operator ${c.op}`, "op");
  const custom = c.field.startsWith(CUSTOM_PREFIX);
  const spec: FieldSpec | undefined = custom ? { ops: CUSTOM_OPS } : CONDITION_FIELDS[c.field];
  if (!spec) return problem(`unknown field ${c.field}; fields: ${[...Object.keys(CONDITION_FIELDS), `${CUSTOM_PREFIX}<key>`].join(", ")}`);
  if (spec.triggers && !spec.triggers.includes(trigger)) return problem(`${c.field} is known on ${spec.triggers.join(", ")} rules only`);
  if (!spec.ops.includes(c.op)) return problem(`${c.field} takes ${spec.ops.join(", ")}`, "op");
  const values = c.op === "IN" || c.op === "NOT_IN" ? c.value : c.op === "IS_SET" || c.op === "NOT_SET" ? null : c.value;
  if (c.op === "IN" || c.op === "NOT_IN") {
    if (!Array.isArray(values) || !values.length || values.length > LIMITS.values) {
      return problem(`${c.op} takes a list of 1 to ${LIMITS.values} values`, "values");
    }
  } else if (values !== null && (typeof values !== "string" || !values.length || values.length > LIMITS.text)) {
    return problem(`${c.op} takes one value of 1 to ${LIMITS.text} characters`, "value");
  }
  const list = values === null ? [] : Array.isArray(values) ? values.map(String) : [String(values)];
  const normal = c.field === "tags" || c.field === "requester.emailDomain" ? list.map((v) => v.trim().toLowerCase()) : list;
  if (spec.whole && normal.some((v) => !/^-?\d{1,7}$/.test(v))) return problem(`${c.field} compares with a whole number`, "value");
  if (spec.values) {
    const bad = normal.filter((v) => !spec.values!.includes(v));
    if (bad.length) return problem(`${c.field} is one of ${spec.values.join(", ")}; not ${bad.join(", ")}`, "value");
  }
  if (c.field === "assignee" && normal.length && !(await db.agent.findUnique({ where: { id: normal[0]! }, select: { id: true } }))) {
    return problem("no such agent", "value");
  }
  if (c.field === "sla.policy" && normal.length && !(await sla.policyExists(db, normal[0]!))) return problem("no such SLA policy", "value");
  if (c.field === "team") {
    if (normal.length && !(await teams.exists(db, normal[0]!))) return problem("no such team", "value");
  }
  if (custom) {
    const why = await customFields.problemWith(db, c.field.slice(CUSTOM_PREFIX.length));
    if (why) return problem(why);
  }
  return { field: c.field, op: c.op, value: values === null ? null : Array.isArray(values) ? normal : normal[0]! };
}

/**
 * Checks actions, all problems at once. `allowed` narrows the types (a
 * macro's actions change the ticket only).
 */
export async function checkActions(
  db: Db,
  input: Action[],
  allowed: readonly ActionType[] = ACTION_TYPES,
  at: Path = ["input", "actions"],
) {
  const problems: FieldProblem[] = [];
  if (input.length > LIMITS.actions) problems.push({ path: at, message: `at most ${LIMITS.actions} actions` });
  const out: Action[] = [];
  for (const [i, a] of input.entries()) {
    const path = [...at, i];
    const problem = (message: string, field = "type") => void problems.push({ path: [...path, field], message });
    if (!allowed.includes(a.type)) {
      problem(`${a.type} is not allowed here; allowed: ${allowed.join(", ")}`);
      continue;
    }
    const bad = await problemOf(db, a);
    if (bad) problem(bad.message, bad.field);
    else out.push(normalised(a));
  }
  if (problems.length) throw invalid("The actions are not valid", problems);
  return out;
}

async function problemOf(db: Db, a: Action): Promise<{ field: string; message: string } | null> {
  switch (a.type) {
    case "SET_STATUS":
      return a.status ? null : { field: "status", message: "SET_STATUS needs status" };
    case "SET_PRIORITY":
      return a.priority ? null : { field: "priority", message: "SET_PRIORITY needs priority" };
    case "SET_ASSIGNEE": {
      if (a.agentId === undefined) return { field: "agentId", message: "SET_ASSIGNEE needs agentId (null unassigns)" };
      if (a.agentId === null) return null;
      const agent = await db.agent.findUnique({ where: { id: a.agentId }, select: { disabled: true } });
      if (!agent) return { field: "agentId", message: "no such agent" };
      return agent.disabled ? { field: "agentId", message: "the agent is disabled" } : null;
    }
    case "ADD_TAGS":
    case "REMOVE_TAGS": {
      if (!a.tags?.length) return { field: "tags", message: `${a.type} needs tags` };
      const bad = a.tags.filter((t) => !tagSchema.safeParse(t).success);
      return bad.length ? { field: "tags", message: `not valid tags: ${bad.join(", ")}` } : null;
    }
    case "SET_TEAM":
      return a.teamId && !(await teams.exists(db, a.teamId)) ? { field: "teamId", message: "no such team" } : null;
    case "SET_CUSTOM_FIELD": {
      if (!a.key) return { field: "key", message: "SET_CUSTOM_FIELD needs key" };
      const why = await customFields.problemWith(db, a.key, a.value);
      return why ? { field: "value", message: why } : null;
    }
    case "ADD_NOTE":
      if (!a.body?.trim()) return { field: "body", message: "ADD_NOTE needs body" };
      checkTemplate(a.body, ["input", "actions", "body"]);
      return null;
    case "SEND_MACRO": {
      if (!a.macroId) return { field: "macroId", message: "SEND_MACRO needs macroId" };
      const macro = await db.macro.findUnique({ where: { id: a.macroId }, select: { ownerId: true } });
      if (!macro) return { field: "macroId", message: "no such macro" };
      return macro.ownerId ? { field: "macroId", message: "a rule can send shared macros only, not an agent's personal one" } : null;
    }
    case "CALL_WEBHOOK": {
      if (!a.endpointId) return { field: "webhookEndpointId", message: "CALL_WEBHOOK needs webhookEndpointId" };
      const endpoint = await db.webhookEndpoint.findUnique({ where: { id: a.endpointId }, select: { id: true } });
      return endpoint ? null : { field: "webhookEndpointId", message: "no such webhook endpoint" };
    }
  }
}

/** Only the fields the action's type uses, tags lower-cased. */
function normalised(a: Action): Action {
  switch (a.type) {
    case "SET_STATUS":
      return { type: a.type, status: a.status };
    case "SET_PRIORITY":
      return { type: a.type, priority: a.priority };
    case "SET_ASSIGNEE":
      return { type: a.type, agentId: a.agentId };
    case "ADD_TAGS":
    case "REMOVE_TAGS":
      return { type: a.type, tags: [...new Set(a.tags.map((t) => tagSchema.parse(t)))] };
    case "SET_TEAM":
      return { type: a.type, teamId: a.teamId };
    case "SET_CUSTOM_FIELD":
      return { type: a.type, key: a.key, value: a.value };
    case "ADD_NOTE":
      return { type: a.type, body: a.body };
    case "SEND_MACRO":
      return { type: a.type, macroId: a.macroId };
    case "CALL_WEBHOOK":
      return { type: a.type, endpointId: a.endpointId };
  }
}

const invalid = (message: string, fields: FieldProblem[]) =>
  new AppError("VALIDATION", `${message}: ${fields.map((f) => `${f.path.join(".")}: ${f.message}`).join("; ")}`, { fields });
