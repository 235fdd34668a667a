import { encodeGlobalID } from "@pothos/plugin-relay";
import { z } from "zod";
import { builder } from "../graphql/builder.js";
import type { Holiday as HolidayRow } from "./business-time.js";
import * as calendars from "./service.js";
import type { OpenHoursInput } from "./validate.js";

/** Calendars are tenant configuration: read by whoever reads tickets, changed by admins (agents:manage, like API keys and webhooks). */
const READ = { permission: "tickets:read" } as const;
const MANAGE = { permission: "agents:manage" } as const;

const OpenHours = builder.objectRef<OpenHoursInput>("OpenHours").implement({
  description: "Open hours on one weekday, in the calendar's local time.",
  fields: (t) => ({
    weekday: t.exposeInt("weekday", { description: "ISO weekday: 1 Monday … 7 Sunday" }),
    from: t.exposeString("from", { description: "HH:MM" }),
    to: t.exposeString("to", { description: "HH:MM; 24:00 is the end of the day" }),
  }),
});

const Holiday = builder.objectRef<HolidayRow>("Holiday").implement({
  description: "Whole local days on which the calendar is closed.",
  fields: (t) => ({
    name: t.exposeString("name"),
    from: t.exposeString("from", { description: "First day, yyyy-MM-dd" }),
    to: t.exposeString("to", { description: "Last day (included), yyyy-MM-dd" }),
  }),
});

export const Calendar = builder.prismaNode("Calendar", {
  id: { field: "id" },
  description:
    "Business hours in a time zone, with holidays. SLA targets count business minutes of their policy's calendar; reports count in the default one.",
  authScopes: READ,
  fields: (t) => ({
    name: t.exposeString("name"),
    timeZone: t.exposeString("timeZone", { description: "IANA zone, e.g. Europe/Amsterdam" }),
    isDefault: t.exposeBoolean("isDefault", { description: "Reports and SLA policies without a calendar count in the default one" }),
    hours: t.field({ type: [OpenHours], resolve: (c) => c.hours as unknown as OpenHoursInput[] }),
    holidays: t.field({ type: [Holiday], resolve: (c) => c.holidays as unknown as HolidayRow[] }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const OpenHoursInputType = builder.inputType("OpenHoursInput", {
  fields: (t) => ({
    weekday: t.int({ required: true, description: "ISO weekday: 1 Monday … 7 Sunday" }),
    from: t.string({ required: true, description: "HH:MM, local" }),
    to: t.string({ required: true, description: "HH:MM, local; 24:00 for the end of the day" }),
  }),
});

const HolidayInput = builder.inputType("HolidayInput", {
  fields: (t) => ({
    name: t.string({ required: true, validate: z.string().trim().min(1).max(100) }),
    from: t.string({ required: true, description: "yyyy-MM-dd" }),
    to: t.string({ description: "yyyy-MM-dd, included; defaults to from" }),
  }),
});

const nameSchema = z.string().trim().min(1, "must not be empty").max(100);
const hoursSchema = z.array(z.unknown()).max(100);
const holidaysSchema = z.array(z.unknown()).max(1000);

const CreateCalendarInput = builder.inputType("CreateCalendarInput", {
  description:
    "Open hours may not overlap on a weekday, holidays may not overlap each other; VALIDATION names the offending entry. The tenant's first calendar becomes its default.",
  fields: (t) => ({
    name: t.string({ required: true, validate: nameSchema }),
    timeZone: t.string({ required: true, description: "IANA zone, e.g. Europe/Amsterdam" }),
    hours: t.field({ type: [OpenHoursInputType], required: true, validate: hoursSchema }),
    holidays: t.field({ type: [HolidayInput], validate: holidaysSchema }),
    isDefault: t.boolean({ defaultValue: false }),
  }),
});

const UpdateCalendarInput = builder.inputType("UpdateCalendarInput", {
  description: "Omitted fields stay; hours and holidays replace the whole list.",
  fields: (t) => ({
    name: t.string({ validate: nameSchema }),
    timeZone: t.string(),
    hours: t.field({ type: [OpenHoursInputType], validate: hoursSchema }),
    holidays: t.field({ type: [HolidayInput], validate: holidaysSchema }),
    isDefault: t.boolean({ description: "true makes this the default (the previous one stops being it)" }),
  }),
});

type HolidayArg = { name: string; from: string; to?: string | null };
const holidays = (list: HolidayArg[]) => list.map((h) => ({ name: h.name.trim(), from: h.from, to: h.to ?? h.from }));

builder.queryField("calendars", (t) =>
  t.prismaField({
    type: ["Calendar"],
    description: "The tenant's calendars, the default first.",
    authScopes: READ,
    resolve: (query, _r, _a, ctx) => ctx.db.calendar.findMany({ ...query, orderBy: [{ isDefault: "desc" }, { name: "asc" }] }),
  }),
);

builder.mutationField("createCalendar", (t) =>
  t.prismaField({
    type: "Calendar",
    authScopes: MANAGE,
    args: { input: t.arg({ type: CreateCalendarInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const { id } = await calendars.createCalendar(ctx, {
        name: input.name.trim(),
        timeZone: input.timeZone,
        hours: input.hours,
        holidays: holidays(input.holidays ?? []),
        isDefault: input.isDefault ?? false,
      });
      return ctx.db.calendar.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("updateCalendar", (t) =>
  t.prismaField({
    type: "Calendar",
    description: "SLA due times already running keep their time; tickets' next changes count in the new hours.",
    authScopes: MANAGE,
    args: { id: t.arg.globalID({ required: true, for: Calendar }), input: t.arg({ type: UpdateCalendarInput, required: true }) },
    resolve: async (query, _r, { id, input }, ctx) => {
      await calendars.updateCalendar(ctx, id.id, {
        name: input.name?.trim(),
        timeZone: input.timeZone ?? undefined,
        hours: input.hours ?? undefined,
        holidays: input.holidays ? holidays(input.holidays) : undefined,
        isDefault: input.isDefault ?? undefined,
      });
      return ctx.db.calendar.findUniqueOrThrow({ ...query, where: { id: id.id } });
    },
  }),
);

builder.mutationField("deleteCalendar", (t) =>
  t.id({
    description:
      "Returns the deleted calendar's ID. CONFLICT while an SLA policy counts in it, or while it is the default and others exist.",
    authScopes: MANAGE,
    args: { id: t.arg.globalID({ required: true, for: Calendar }) },
    resolve: async (_r, { id }, ctx) => {
      await calendars.deleteCalendar(ctx, id.id);
      return encodeGlobalID("Calendar", id.id);
    },
  }),
);
