import { DateTime } from "luxon";

/** One stretch of open hours on a weekday, in local minutes since midnight (to may be 1440: the day's end). */
export interface OpenInterval {
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number;
  from: number;
  to: number;
}

/** A whole-day closure, local dates (yyyy-MM-dd), both ends included. */
export interface Holiday {
  name: string;
  from: string;
  to: string;
}

/** What business-time arithmetic needs of a calendar: validated (see validate.ts) before it gets here. */
export interface BusinessCalendar {
  timeZone: string;
  hours: OpenInterval[];
  holidays: Holiday[];
}

/** Round the clock, in UTC: what counts when a tenant has no calendar. */
export const ALWAYS_OPEN: BusinessCalendar = {
  timeZone: "UTC",
  hours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from: 0, to: 1440 })),
  holidays: [],
};

const MINUTE = 60_000;
/**
 * A calendar with open hours reaches any target within a few years; a search
 * that walks further means the holidays close every open day: stop rather than spin.
 */
const MAX_DAYS = 3 * 366;

/**
 * The open stretches of one local day as instants. Local times are turned into
 * instants in the calendar's zone by luxon, so a day that loses or gains an
 * hour (DST) has its real length: 01:00–04:00 is two hours on the spring-forward
 * night and four on the fall-back one.
 */
function openStretches(calendar: BusinessCalendar, day: DateTime): [number, number][] {
  const date = day.toISODate()!;
  if (calendar.holidays.some((h) => h.from <= date && date <= h.to)) return [];
  return calendar.hours
    .filter((h) => h.weekday === day.weekday)
    .map((h): [number, number] => [at(day, h.from), at(day, h.to)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
}

/** The instant of a local minute-of-day; 1440 is the next day's midnight. A time skipped by DST moves forward (luxon). */
function at(day: DateTime, minuteOfDay: number): number {
  if (minuteOfDay >= 1440) return day.plus({ days: 1 }).startOf("day").toMillis();
  return day.set({ hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60, second: 0, millisecond: 0 }).toMillis();
}

function localDay(calendar: BusinessCalendar, instant: number): DateTime {
  return DateTime.fromMillis(instant, { zone: calendar.timeZone }).startOf("day");
}

/**
 * The instant `minutes` business minutes after `start` (before it, for a
 * negative count): open time is counted, closed time (nights, weekends,
 * holidays) is skipped. Zero business minutes from a closed moment is the
 * moment itself.
 */
export function addBusinessTime(calendar: BusinessCalendar, start: Date, minutes: number): Date {
  if (minutes === 0) return new Date(start);
  if (minutes < 0) return subtractBusinessTime(calendar, start, -minutes);
  let remaining = minutes * MINUTE;
  let cursor = start.getTime();
  let day = localDay(calendar, cursor);
  for (let i = 0; i < MAX_DAYS; i++) {
    for (const [from, to] of openStretches(calendar, day)) {
      const begin = Math.max(from, cursor);
      if (begin >= to) continue;
      if (to - begin >= remaining) return new Date(begin + remaining);
      remaining -= to - begin;
    }
    day = day.plus({ days: 1 });
    cursor = Math.max(cursor, day.toMillis());
  }
  throw new Error("The calendar has no open hours within three years");
}

function subtractBusinessTime(calendar: BusinessCalendar, end: Date, minutes: number): Date {
  let remaining = minutes * MINUTE;
  let cursor = end.getTime();
  let day = localDay(calendar, cursor);
  for (let i = 0; i < MAX_DAYS; i++) {
    for (const [from, to] of openStretches(calendar, day).reverse()) {
      const finish = Math.min(to, cursor);
      if (finish <= from) continue;
      if (finish - from >= remaining) return new Date(finish - remaining);
      remaining -= finish - from;
    }
    cursor = Math.min(cursor, day.toMillis());
    day = day.minus({ days: 1 });
  }
  throw new Error("The calendar has no open hours within three years");
}

/** Business minutes from `a` to `b` (negative when b is earlier), whole minutes rounded down. */
export function businessMinutesBetween(calendar: BusinessCalendar, a: Date, b: Date): number {
  if (b < a) return -businessMinutesBetween(calendar, b, a);
  const end = b.getTime();
  let total = 0;
  let day = localDay(calendar, a.getTime());
  while (day.toMillis() < end) {
    for (const [from, to] of openStretches(calendar, day)) {
      const begin = Math.max(from, a.getTime());
      const finish = Math.min(to, end);
      if (finish > begin) total += finish - begin;
    }
    day = day.plus({ days: 1 });
  }
  return Math.floor(total / MINUTE);
}
