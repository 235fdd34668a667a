import { describe, expect, it } from "vitest";
import { addBusinessTime, businessMinutesBetween, type BusinessCalendar } from "../src/calendars/business-time.js";
import { parseCalendar } from "../src/calendars/validate.js";

const weekdays = (from: string, to: string) => [1, 2, 3, 4, 5].map((weekday) => ({ weekday, from, to }));
const everyDay = (from: string, to: string) => [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from, to }));

const office = parseCalendar({ timeZone: "Europe/Amsterdam", hours: weekdays("09:00", "17:00"), holidays: [] });
const officeWithHoliday = parseCalendar({
  timeZone: "Europe/Amsterdam",
  hours: weekdays("09:00", "17:00"),
  holidays: [{ name: "Closed Monday", from: "2026-03-09", to: "2026-03-09" }],
});
const always = parseCalendar({ timeZone: "Europe/Amsterdam", hours: everyDay("00:00", "24:00"), holidays: [] });
const nights = parseCalendar({ timeZone: "Europe/Amsterdam", hours: everyDay("01:00", "04:00"), holidays: [] });

const at = (iso: string) => new Date(iso);
const add = (c: BusinessCalendar, iso: string, minutes: number) => addBusinessTime(c, at(iso), minutes).toISOString();

describe("business time", () => {
  it("skips the weekend", () => {
    // Friday 16:00 in Amsterdam (CET, UTC+1) + 2 h: one hour on Friday, one on Monday.
    expect(add(office, "2026-03-06T15:00:00Z", 120)).toBe("2026-03-09T09:00:00.000Z");
    expect(businessMinutesBetween(office, at("2026-03-06T15:00:00Z"), at("2026-03-09T09:00:00Z"))).toBe(120);
  });

  it("skips a holiday", () => {
    expect(add(officeWithHoliday, "2026-03-06T15:00:00Z", 120)).toBe("2026-03-10T09:00:00.000Z");
    expect(businessMinutesBetween(officeWithHoliday, at("2026-03-06T15:00:00Z"), at("2026-03-10T09:00:00Z"))).toBe(120);
  });

  it("starts counting at opening time from a closed moment, and zero minutes is the moment itself", () => {
    // Saturday noon + 1 minute: Monday 09:01 local.
    expect(add(office, "2026-03-07T11:00:00Z", 1)).toBe("2026-03-09T08:01:00.000Z");
    expect(add(office, "2026-03-07T11:00:00Z", 0)).toBe("2026-03-07T11:00:00.000Z");
  });

  it("counts backwards across the weekend", () => {
    expect(add(office, "2026-03-09T09:00:00Z", -120)).toBe("2026-03-06T15:00:00.000Z");
    expect(add(office, "2026-03-09T08:00:00Z", -60)).toBe("2026-03-06T15:00:00.000Z");
  });

  it("round the clock, the spring-forward day has 23 hours", () => {
    // Saturday 28 March 12:00 CET + 24 h of real time: Sunday 13:00 CEST.
    expect(add(always, "2026-03-28T11:00:00Z", 24 * 60)).toBe("2026-03-29T11:00:00.000Z");
    // Saturday 00:00 CET to Monday 00:00 CEST.
    expect(businessMinutesBetween(always, at("2026-03-27T23:00:00Z"), at("2026-03-29T22:00:00Z"))).toBe(47 * 60);
  });

  it("round the clock, the fall-back day has 25 hours", () => {
    // Saturday 24 October 00:00 CEST to Monday 00:00 CET.
    expect(businessMinutesBetween(always, at("2026-10-23T22:00:00Z"), at("2026-10-25T23:00:00Z"))).toBe(49 * 60);
    expect(add(always, "2026-10-24T22:00:00Z", 25 * 60)).toBe("2026-10-25T23:00:00.000Z");
  });

  it("open hours across the DST switch have their real length", () => {
    // 01:00–04:00 local: two real hours on 29 March (02:00–03:00 does not exist), four on 25 October (02:00–03:00 twice).
    expect(businessMinutesBetween(nights, at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z"))).toBe(120);
    expect(businessMinutesBetween(nights, at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z"))).toBe(240);
    // From 01:00 CET, 90 minutes: 60 before the jump and 30 after it, 03:30 CEST.
    expect(add(nights, "2026-03-29T00:00:00Z", 90)).toBe("2026-03-29T01:30:00.000Z");
  });

  it("business minutes and adding them agree", () => {
    const start = at("2026-03-05T10:17:00Z");
    for (const minutes of [1, 59, 480, 481, 2000, 10_000]) {
      const end = addBusinessTime(officeWithHoliday, start, minutes);
      expect(businessMinutesBetween(officeWithHoliday, start, end)).toBe(minutes);
      expect(addBusinessTime(officeWithHoliday, end, -minutes).getTime()).toBeLessThanOrEqual(start.getTime());
    }
  });
});

describe("calendar validation", () => {
  const problems = (input: Parameters<typeof parseCalendar>[0]) => {
    try {
      parseCalendar(input);
      return [];
    } catch (err) {
      const e = err as { extensions: { code: string; fields: { path: (string | number)[]; message: string }[] } };
      expect(e.extensions.code).toBe("VALIDATION");
      return e.extensions.fields.map((f) => `${f.path.join(".")}: ${f.message}`);
    }
  };

  it("refuses an unknown time zone", () => {
    expect(problems({ timeZone: "Mars/Olympus_Mons", hours: weekdays("09:00", "17:00"), holidays: [] })).toEqual([
      'input.timeZone: "Mars/Olympus_Mons" is not an IANA time zone (e.g. Europe/Amsterdam)',
    ]);
  });

  it("refuses overlapping and duplicate holidays", () => {
    const out = problems({
      timeZone: "Europe/Berlin",
      hours: weekdays("09:00", "17:00"),
      holidays: [
        { name: "Christmas", from: "2026-12-24", to: "2026-12-26" },
        { name: "Boxing day", from: "2026-12-26", to: "2026-12-26" },
        { name: "Christmas again", from: "2026-12-24", to: "2026-12-26" },
        { name: "New year", from: "2027-01-01", to: "2027-01-01" },
      ],
    });
    expect(out).toEqual([
      "input.holidays.1: overlaps the holiday Christmas (2026-12-24 to 2026-12-26)",
      "input.holidays.2: overlaps the holiday Christmas (2026-12-24 to 2026-12-26)",
    ]);
  });

  it("refuses bad hours, bad dates and a calendar that is never open", () => {
    expect(
      problems({
        timeZone: "UTC",
        hours: [
          { weekday: 1, from: "09:00", to: "17:00" },
          { weekday: 1, from: "16:00", to: "18:00" },
          { weekday: 8, from: "09:00", to: "17:00" },
          { weekday: 2, from: "17:00", to: "09:00" },
          { weekday: 3, from: "9am", to: "17:00" },
        ],
        holidays: [
          { name: "x", from: "2026-02-30", to: "2026-02-30" },
          { name: "y", from: "2026-05-02", to: "2026-05-01" },
        ],
      }),
    ).toEqual([
      "input.hours.1: overlaps 09:00–17:00 on the same weekday",
      "input.hours.2.weekday: must be 1 (Monday) to 7 (Sunday)",
      "input.hours.3.to: must be after from",
      "input.hours.4.from: must be HH:MM, 00:00 to 23:59",
      "input.holidays.0.from: must be a date, yyyy-MM-dd",
      "input.holidays.1.to: must not be before from",
    ]);
    expect(problems({ timeZone: "UTC", hours: [], holidays: [] })).toEqual([
      "input.hours: a calendar needs open hours on at least one weekday",
    ]);
  });
});
