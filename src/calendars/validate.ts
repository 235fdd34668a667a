import { DateTime, IANAZone } from "luxon";
import { validationError, type FieldProblem } from "../errors.js";
import type { BusinessCalendar, Holiday, OpenInterval } from "./business-time.js";

/** Open hours as the API takes them: local "HH:MM" times. */
export interface OpenHoursInput {
  weekday: number;
  from: string;
  to: string;
}

export interface CalendarDefinition {
  timeZone: string;
  hours: OpenHoursInput[];
  holidays: Holiday[];
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

function minuteOfDay(time: string): number {
  const [h, m] = time.split(":").map(Number);
  return h! * 60 + m!;
}

/** "HH:MM" of a local minute-of-day (1440 is "24:00"). */
function formatMinute(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
}

/**
 * Checks a calendar as given to createCalendar/updateCalendar and returns it
 * ready for business-time arithmetic, or throws VALIDATION naming every bad
 * field: an unknown time zone, a malformed or empty interval, intervals that
 * overlap on a weekday, no open hours at all, a holiday with a bad date, and
 * holidays that overlap or repeat.
 */
export function parseCalendar(input: CalendarDefinition, path: (string | number)[] = ["input"]): BusinessCalendar {
  const problems: FieldProblem[] = [];
  if (!IANAZone.isValidZone(input.timeZone)) {
    problems.push({ path: [...path, "timeZone"], message: `"${input.timeZone}" is not an IANA time zone (e.g. Europe/Amsterdam)` });
  }
  const hours: OpenInterval[] = [];
  input.hours.forEach((h, i) => {
    const problem = intervalProblem(h, hours);
    if (problem) problems.push({ path: [...path, "hours", i, ...problem.at], message: problem.message });
    else hours.push({ weekday: h.weekday, from: minuteOfDay(h.from), to: minuteOfDay(h.to) });
  });
  if (!input.hours.length) problems.push({ path: [...path, "hours"], message: "a calendar needs open hours on at least one weekday" });
  const holidays: Holiday[] = [];
  input.holidays.forEach((h, i) => {
    const problem = holidayProblem(h, holidays);
    if (problem) problems.push({ path: [...path, "holidays", i, ...problem.at], message: problem.message });
    else holidays.push({ name: h.name, from: h.from, to: h.to });
  });
  if (problems.length) throw validationError(problems);
  holidays.sort((a, b) => a.from.localeCompare(b.from));
  hours.sort((a, b) => a.weekday - b.weekday || a.from - b.from);
  return { timeZone: input.timeZone, hours, holidays };
}

type Problem = { at: string[]; message: string } | null;

function intervalProblem(h: OpenHoursInput, accepted: OpenInterval[]): Problem {
  if (!Number.isInteger(h.weekday) || h.weekday < 1 || h.weekday > 7)
    return { at: ["weekday"], message: "must be 1 (Monday) to 7 (Sunday)" };
  if (!TIME.test(h.from) || h.from === "24:00") return { at: ["from"], message: "must be HH:MM, 00:00 to 23:59" };
  if (!TIME.test(h.to)) return { at: ["to"], message: "must be HH:MM, 00:01 to 24:00" };
  const from = minuteOfDay(h.from);
  const to = minuteOfDay(h.to);
  if (to <= from) return { at: ["to"], message: "must be after from" };
  const clash = accepted.find((o) => o.weekday === h.weekday && o.from < to && from < o.to);
  if (clash) return { at: [], message: `overlaps ${formatMinute(clash.from)}–${formatMinute(clash.to)} on the same weekday` };
  return null;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function holidayProblem(h: Holiday, accepted: Holiday[]): Problem {
  const from = DateTime.fromISO(h.from, { zone: "UTC" });
  const to = DateTime.fromISO(h.to, { zone: "UTC" });
  if (!DATE.test(h.from) || !from.isValid) return { at: ["from"], message: "must be a date, yyyy-MM-dd" };
  if (!DATE.test(h.to) || !to.isValid) return { at: ["to"], message: "must be a date, yyyy-MM-dd" };
  if (h.to < h.from) return { at: ["to"], message: "must not be before from" };
  if (to.diff(from, "days").days > 366) return { at: ["to"], message: "a holiday lasts a year at most" };
  const clash = accepted.find((o) => o.from <= h.to && h.from <= o.to);
  if (clash) return { at: [], message: `overlaps the holiday ${clash.name} (${clash.from} to ${clash.to})` };
  return null;
}

/** A stored calendar row (validated when written) as business-time arithmetic takes it. */
export function storedCalendar(row: { timeZone: string; hours: unknown; holidays: unknown }): BusinessCalendar {
  const hours = row.hours as OpenHoursInput[];
  return {
    timeZone: row.timeZone,
    hours: hours.map((h) => ({ weekday: h.weekday, from: minuteOfDay(h.from), to: minuteOfDay(h.to) })),
    holidays: row.holidays as Holiday[],
  };
}

/** How a parsed calendar is stored: local times as the API shows them. */
export function hoursForStorage(calendar: BusinessCalendar): OpenHoursInput[] {
  return calendar.hours.map((h) => ({ weekday: h.weekday, from: formatMinute(h.from), to: formatMinute(h.to) }));
}
