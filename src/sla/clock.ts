import { addBusinessTime, businessMinutesBetween, type BusinessCalendar } from "../calendars/business-time.js";
import type { ActivePolicy } from "./match.js";

export const SLA_TARGETS = ["FIRST_RESPONSE", "NEXT_RESPONSE", "RESOLUTION"] as const;
export type SlaTarget = (typeof SLA_TARGETS)[number];

/** A ticket's SLA clocks: the columns of TicketSla. */
export interface SlaState {
  policyId: string | null;
  firstResponseDueAt: Date | null;
  firstRespondedAt: Date | null;
  nextResponseStartedAt: Date | null;
  nextResponseDueAt: Date | null;
  resolutionDueAt: Date | null;
  resolvedAt: Date | null;
  pausedAt: Date | null;
  pausedMinutes: number;
  breached: boolean;
  breachedTargets: string[];
  firstResponseMinutes: number | null;
  resolutionMinutes: number | null;
}

/** What the clocks need to know around a change: when the ticket was created, its policy, the calendar reports count in. */
export interface ClockContext {
  createdAt: Date;
  policy: ActivePolicy | null;
  reportCalendar: BusinessCalendar;
}

/** Statuses in which no clock runs: waiting for the requester (PENDING), or done. */
const STOPPED = new Set(["PENDING", "SOLVED", "CLOSED"]);
const DONE = new Set(["SOLVED", "CLOSED"]);

const due = (policy: ActivePolicy, from: Date, minutes: number | null, shift = 0) =>
  minutes === null ? null : addBusinessTime(policy.calendar, from, minutes + shift);

function missed(state: SlaState, target: SlaTarget): SlaState {
  return {
    ...state,
    breached: true,
    breachedTargets: state.breachedTargets.includes(target) ? state.breachedTargets : [...state.breachedTargets, target],
  };
}

/** A new ticket: first response and resolution clocks start at its creation. */
export function startClocks(c: ClockContext): SlaState {
  return {
    policyId: c.policy?.id ?? null,
    firstResponseDueAt: c.policy ? due(c.policy, c.createdAt, c.policy.firstResponseMinutes) : null,
    firstRespondedAt: null,
    nextResponseStartedAt: null,
    nextResponseDueAt: null,
    resolutionDueAt: c.policy ? due(c.policy, c.createdAt, c.policy.resolutionMinutes) : null,
    resolvedAt: null,
    pausedAt: null,
    pausedMinutes: 0,
    breached: false,
    breachedTargets: [],
    firstResponseMinutes: null,
    resolutionMinutes: null,
  };
}

/**
 * The ticket now matches another policy (its priority, tags… changed): the
 * running clocks are recomputed from their start with the new targets, the
 * time paused so far still added. Met targets and breaches stay.
 */
export function changePolicy(state: SlaState, c: ClockContext): SlaState {
  if ((c.policy?.id ?? null) === state.policyId) return state;
  const p = c.policy;
  return {
    ...state,
    policyId: p?.id ?? null,
    firstResponseDueAt: state.firstRespondedAt
      ? state.firstResponseDueAt
      : p
        ? due(p, c.createdAt, p.firstResponseMinutes, state.pausedMinutes)
        : null,
    resolutionDueAt: state.resolvedAt ? state.resolutionDueAt : p ? due(p, c.createdAt, p.resolutionMinutes, state.pausedMinutes) : null,
    nextResponseDueAt: state.nextResponseStartedAt && p ? due(p, state.nextResponseStartedAt, p.nextResponseMinutes) : null,
  };
}

/** A public reply by the team: meets the first response, or the next response a requester is waiting for. */
export function teamReplied(state: SlaState, at: Date, c: ClockContext): SlaState {
  let next = state;
  if (!next.firstRespondedAt) {
    next = { ...next, firstRespondedAt: at, firstResponseMinutes: businessMinutesBetween(c.reportCalendar, c.createdAt, at) };
    if (next.firstResponseDueAt && at > next.firstResponseDueAt) next = missed(next, "FIRST_RESPONSE");
  }
  if (next.nextResponseStartedAt) {
    if (next.nextResponseDueAt && at > next.nextResponseDueAt) next = missed(next, "NEXT_RESPONSE");
    next = { ...next, nextResponseStartedAt: null, nextResponseDueAt: null };
  }
  return next;
}

/** A requester wrote after the team's first reply: a next-response clock starts, unless one already runs. */
export function requesterWrote(state: SlaState, at: Date, c: ClockContext): SlaState {
  if (!state.firstRespondedAt || state.nextResponseStartedAt) return state;
  const p = c.policy;
  return { ...state, nextResponseStartedAt: at, nextResponseDueAt: p ? due(p, at, p.nextResponseMinutes) : null };
}

/**
 * PENDING, SOLVED and CLOSED stop the clocks; leaving them starts them again
 * with every running due time moved on by the business time spent stopped.
 * Solving records the resolution (late or not); reopening clears it.
 */
export function statusChanged(state: SlaState, from: string, to: string, at: Date, c: ClockContext): SlaState {
  let next = state;
  if (DONE.has(to) && !next.resolvedAt) {
    next = { ...next, resolvedAt: at, resolutionMinutes: businessMinutesBetween(c.reportCalendar, c.createdAt, at) };
    if (next.resolutionDueAt && at > next.resolutionDueAt) next = missed(next, "RESOLUTION");
  }
  if (STOPPED.has(to) && !next.pausedAt) return { ...next, pausedAt: at };
  if (!STOPPED.has(to) && next.pausedAt) {
    const pausedAt = next.pausedAt;
    const shift = c.policy ? Math.max(0, businessMinutesBetween(c.policy.calendar, pausedAt, at)) : 0;
    const move = (d: Date | null) => (d && c.policy ? addBusinessTime(c.policy.calendar, d, shift) : d);
    next = {
      ...next,
      pausedAt: null,
      pausedMinutes: next.pausedMinutes + shift,
      firstResponseDueAt: next.firstRespondedAt ? next.firstResponseDueAt : move(next.firstResponseDueAt),
      // A reply clock started while stopped (the requester's message that reopens) was not stopped at all.
      nextResponseDueAt:
        next.nextResponseStartedAt && next.nextResponseStartedAt < pausedAt ? move(next.nextResponseDueAt) : next.nextResponseDueAt,
      resolutionDueAt: DONE.has(from) ? move(next.resolutionDueAt) : next.resolvedAt ? next.resolutionDueAt : move(next.resolutionDueAt),
    };
    if (DONE.has(from)) next = { ...next, resolvedAt: null, resolutionMinutes: null };
  }
  return next;
}

/** The clocks that run now, with their due times: none while stopped. */
export function runningTargets(state: SlaState): { target: SlaTarget; dueAt: Date; cycle: string }[] {
  if (state.pausedAt) return [];
  const running: { target: SlaTarget; dueAt: Date; cycle: string }[] = [];
  if (!state.firstRespondedAt && state.firstResponseDueAt)
    running.push({ target: "FIRST_RESPONSE", dueAt: state.firstResponseDueAt, cycle: "1" });
  if (state.nextResponseStartedAt && state.nextResponseDueAt) {
    running.push({ target: "NEXT_RESPONSE", dueAt: state.nextResponseDueAt, cycle: String(state.nextResponseStartedAt.getTime()) });
  }
  if (!state.resolvedAt && state.resolutionDueAt) running.push({ target: "RESOLUTION", dueAt: state.resolutionDueAt, cycle: "1" });
  return running;
}

/** The earliest running due time: what tickets sort and filter by. */
export function nextDueAt(state: SlaState): Date | null {
  const dues = runningTargets(state).map((r) => r.dueAt.getTime());
  return dues.length ? new Date(Math.min(...dues)) : null;
}

/** When a running target's warning is due: warnMinutesBefore its due time, or when warnAtPercent of it has passed. */
export function warningAt(policy: ActivePolicy, target: SlaTarget, dueAt: Date): Date | null {
  const minutes =
    target === "FIRST_RESPONSE"
      ? policy.firstResponseMinutes
      : target === "NEXT_RESPONSE"
        ? policy.nextResponseMinutes
        : policy.resolutionMinutes;
  if (minutes === null) return null;
  const lead = policy.warnMinutesBefore ?? Math.round((minutes * (100 - policy.warnAtPercent)) / 100);
  if (lead <= 0) return null;
  return addBusinessTime(policy.calendar, dueAt, -lead);
}
