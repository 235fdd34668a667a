import type { SlaStanding } from "../sla/lookup.js";
import type { Condition, Conditions } from "./rule.js";
import { CUSTOM_PREFIX } from "./validate.js";

/** What conditions are evaluated against: the ticket as it is when the rule runs. */
export interface TicketFacts {
  id: string;
  status: string;
  priority: string;
  channel: string;
  assigneeId: string | null;
  subject: string;
  /** Tag names, lower case. */
  tags: string[];
  /** The requester's email domain, lower case. */
  emailDomain: string | null;
  /** Filled only when a rule names teams (src/automations/seams.ts). */
  teamId?: string | null;
  /** Filled only with the custom fields rules name. */
  custom?: Record<string, unknown>;
  /** Filled only when a rule names sla.*; null while the ticket's SLA is not set up. */
  sla?: SlaStanding | null;
}

/** The message of a MESSAGE_ADDED event. */
export interface MessageFacts {
  internal: boolean;
  author: string;
  /** Loaded only when a rule compares it. */
  body?: string;
}

/** Whether every `all` condition holds and, if there are `any` conditions, one of them does. */
export function matches(conditions: Conditions, ticket: TicketFacts, message: MessageFacts | null): boolean {
  const holds = (c: Condition) => conditionHolds(c, ticket, message);
  return conditions.all.every(holds) && (conditions.any.length === 0 || conditions.any.some(holds));
}

export function conditionHolds(c: Condition, ticket: TicketFacts, message: MessageFacts | null): boolean {
  const actual = fieldValue(c.field, ticket, message);
  const wanted = c.value;
  const text = (v: unknown) => (v === null || v === undefined ? "" : String(v)).toLowerCase();
  switch (c.op) {
    case "IS_SET":
      return Array.isArray(actual) ? actual.length > 0 : actual !== null && actual !== undefined && actual !== "";
    case "NOT_SET":
      return Array.isArray(actual) ? actual.length === 0 : actual === null || actual === undefined || actual === "";
    case "EQ":
      return text(actual) === text(wanted);
    case "NEQ":
      return text(actual) !== text(wanted);
    case "IN":
      return (wanted as string[]).some((w) => text(w) === text(actual));
    case "NOT_IN":
      return !(wanted as string[]).some((w) => text(w) === text(actual));
    case "CONTAINS":
      // On a list (tags) it is membership; on text, a case-insensitive substring.
      return Array.isArray(actual) ? actual.map(text).includes(text(wanted)) : text(actual).includes(text(wanted));
    case "NOT_CONTAINS":
      return Array.isArray(actual) ? !actual.map(text).includes(text(wanted)) : !text(actual).includes(text(wanted));
    // Numbers (sla.dueInMinutes); nothing to compare never holds.
    case "LT":
      return typeof actual === "number" && actual < Number(wanted);
    case "GT":
      return typeof actual === "number" && actual > Number(wanted);
  }
}

function fieldValue(field: string, t: TicketFacts, m: MessageFacts | null): unknown {
  if (field.startsWith(CUSTOM_PREFIX)) return t.custom?.[field.slice(CUSTOM_PREFIX.length)];
  switch (field) {
    case "status":
      return t.status;
    case "priority":
      return t.priority;
    case "channel":
      return t.channel;
    case "tags":
      return t.tags;
    case "assignee":
      return t.assigneeId;
    case "team":
      return t.teamId ?? null;
    case "subject":
      return t.subject;
    case "requester.emailDomain":
      return t.emailDomain;
    case "body":
      return m?.body ?? null;
    case "message.internal":
      return m ? String(m.internal) : null;
    case "message.author":
      return m?.author ?? null;
    case "sla.breached":
      return t.sla ? String(t.sla.breached) : null;
    case "sla.breachedTargets":
      return t.sla?.breachedTargets ?? [];
    case "sla.dueInMinutes":
      return t.sla?.dueInMinutes ?? null;
    case "sla.policy":
      return t.sla?.policyId ?? null;
    default:
      return null;
  }
}
