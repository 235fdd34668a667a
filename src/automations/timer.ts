import { AppError, type FieldProblem } from "../errors.js";
import type { TicketStatus } from "../generated/prisma/enums.js";
import type { Trigger } from "./rule.js";

/**
 * When a TIME_ELAPSED rule's time is up for a ticket: `minutes` after the
 * ticket was created, after its last change, or after it entered `status`
 * (and is still in it). Counted round the clock, or in the open hours of the
 * tenant's default calendar with `businessHours`.
 */
export interface Timer {
  minutes: number;
  since: TimerSince;
  /** With since STATUS only. */
  status?: TicketStatus | null;
  businessHours: boolean;
}

const TIMER_SINCE = ["CREATED", "LAST_UPDATE", "STATUS"] as const;
type TimerSince = (typeof TIMER_SINCE)[number];

/** A year of round-the-clock minutes, as SLA targets: a longer wait is a typo. */
const MAX_MINUTES = 525_600;

/**
 * The timer a rule on `trigger` keeps: required by TIME_ELAPSED and refused by
 * every other trigger. Every problem is named at once (VALIDATION at input.timer…).
 */
export type TimerInput = { [K in keyof Timer]?: Timer[K] | null };

export function checkTimer(trigger: Trigger, input: TimerInput | null | undefined): Timer | null {
  const at = (field?: string) => (field ? ["input", "timer", field] : ["input", "timer"]);
  if (trigger !== "TIME_ELAPSED") {
    if (input) throw invalid([{ path: at(), message: "only TIME_ELAPSED rules have a timer" }]);
    return null;
  }
  if (!input) throw invalid([{ path: at(), message: "a TIME_ELAPSED rule needs a timer: { minutes, since }" }]);
  const problems: FieldProblem[] = [];
  const minutes = input.minutes;
  if (typeof minutes !== "number" || !Number.isInteger(minutes) || minutes < 1 || minutes > MAX_MINUTES) {
    problems.push({ path: at("minutes"), message: `a whole number of minutes, 1 to ${MAX_MINUTES}` });
  }
  if (!input.since || !TIMER_SINCE.includes(input.since)) problems.push({ path: at("since"), message: `one of ${TIMER_SINCE.join(", ")}` });
  if (input.since === "STATUS" && !input.status) problems.push({ path: at("status"), message: "since STATUS needs the status" });
  if (input.since !== "STATUS" && input.status) problems.push({ path: at("status"), message: "only since STATUS takes a status" });
  if (problems.length) throw invalid(problems);
  return {
    minutes: minutes!,
    since: input.since!,
    ...(input.since === "STATUS" ? { status: input.status } : {}),
    businessHours: input.businessHours ?? false,
  };
}

const invalid = (fields: FieldProblem[]) =>
  new AppError("VALIDATION", `The rule's timer is not valid: ${fields.map((f) => `${f.path.join(".")}: ${f.message}`).join("; ")}`, {
    fields,
  });
