import type { TicketPriority, TicketStatus } from "../generated/prisma/enums.js";

/**
 * What a rule is made of, as stored (AutomationRule.conditions / .actions as
 * JSON) and as the API takes it. Saving validates it (validate.ts); the
 * consumer trusts what is stored and disables a rule whose references have
 * gone since (a deleted macro, a disabled agent).
 */

const TRIGGERS = ["TICKET_CREATED", "TICKET_UPDATED", "MESSAGE_ADDED", "SLA_WARNING", "SLA_BREACHED", "TIME_ELAPSED"] as const;
export type Trigger = (typeof TRIGGERS)[number];

export const CONDITION_OPS = ["EQ", "NEQ", "IN", "NOT_IN", "CONTAINS", "NOT_CONTAINS", "IS_SET", "NOT_SET", "LT", "GT"] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

/**
 * A comparison of one field of the ticket (or of the message that fired a
 * MESSAGE_ADDED rule). `custom:<key>` names a custom field (fields.ts).
 */
export interface Condition {
  field: string;
  op: ConditionOp;
  /** A string (a whole number for LT, GT), a list of strings (IN, NOT_IN), a boolean (message.internal) or nothing (IS_SET, NOT_SET). */
  value?: string | string[] | boolean | null;
}

/** Every `all` condition holds and, when `any` has some, at least one of those. */
export interface Conditions {
  all: Condition[];
  any: Condition[];
}

export const ACTION_TYPES = [
  "SET_STATUS",
  "SET_PRIORITY",
  "SET_ASSIGNEE",
  "ADD_TAGS",
  "REMOVE_TAGS",
  "SET_TEAM",
  "SET_CUSTOM_FIELD",
  "ADD_NOTE",
  "SEND_MACRO",
  "CALL_WEBHOOK",
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export type Action =
  | { type: "SET_STATUS"; status: TicketStatus }
  | { type: "SET_PRIORITY"; priority: TicketPriority }
  /** agentId null: unassign. */
  | { type: "SET_ASSIGNEE"; agentId: string | null }
  | { type: "ADD_TAGS"; tags: string[] }
  | { type: "REMOVE_TAGS"; tags: string[] }
  | { type: "SET_TEAM"; teamId: string | null }
  | { type: "SET_CUSTOM_FIELD"; key: string; value: unknown }
  /** body: a template with the placeholders of src/macros/template.ts. */
  | { type: "ADD_NOTE"; body: string }
  | { type: "SEND_MACRO"; macroId: string }
  | { type: "CALL_WEBHOOK"; endpointId: string };

/** Actions a macro may carry: changes to the ticket, not replies or calls out. */
export const MACRO_ACTION_TYPES: readonly ActionType[] = [
  "SET_STATUS",
  "SET_PRIORITY",
  "SET_ASSIGNEE",
  "ADD_TAGS",
  "REMOVE_TAGS",
  "SET_TEAM",
  "SET_CUSTOM_FIELD",
  "ADD_NOTE",
];

/** How many automated changes may follow one another (a rule's change firing another rule) before rules stop. */
export const MAX_DEPTH = 5;
