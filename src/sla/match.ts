import type { BusinessCalendar } from "../calendars/business-time.js";

/** A policy as matching and the clocks need it (enabled ones only, in order). */
export interface ActivePolicy {
  id: string;
  calendar: BusinessCalendar;
  priorities: string[];
  channels: string[];
  tags: string[];
  organizationIds: string[];
  firstResponseMinutes: number | null;
  nextResponseMinutes: number | null;
  resolutionMinutes: number | null;
  warnAtPercent: number;
  warnMinutesBefore: number | null;
}

/** What policies are matched on. */
export interface TicketFacts {
  priority: string;
  channel: string;
  tags: string[];
  organizationId: string | null;
}

/** The first policy whose every non-empty condition holds (any of its tags will do); null when none does. */
export function matchPolicy(policies: readonly ActivePolicy[], ticket: TicketFacts): ActivePolicy | null {
  return (
    policies.find(
      (p) =>
        (!p.priorities.length || p.priorities.includes(ticket.priority)) &&
        (!p.channels.length || p.channels.includes(ticket.channel)) &&
        (!p.tags.length || p.tags.some((t) => ticket.tags.includes(t))) &&
        (!p.organizationIds.length || (ticket.organizationId !== null && p.organizationIds.includes(ticket.organizationId))),
    ) ?? null
  );
}
