import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import type { Tx } from "../db/tx.js";
import { isUniqueViolation } from "../db/unique-violation.js";
import { AppError, notFound } from "../errors.js";
import { hoursForStorage, parseCalendar, storedCalendar, type CalendarDefinition } from "./validate.js";

export interface CalendarInput extends CalendarDefinition {
  name: string;
  isDefault: boolean;
}

export type CalendarPatch = Partial<CalendarInput>;

const nameTaken = () =>
  new AppError("CONFLICT", "A calendar with this name exists", { fields: [{ path: ["input", "name"], message: "already taken" }] });

/** Makes `id` the only default: the partial unique index would refuse a second one. */
async function takeDefault(tx: Tx, id: string) {
  await tx.calendar.updateMany({ where: { isDefault: true, id: { not: id } }, data: { isDefault: false } });
}

export async function createCalendar(ctx: Context, input: CalendarInput) {
  requireViewer(ctx);
  const calendar = parseCalendar(input);
  try {
    return await ctx.db.$transaction(async (tx) => {
      // The tenant's first calendar is its default: reports and policies without one count in it.
      const first = (await tx.calendar.count()) === 0;
      // Before the insert: the partial unique index allows one default at a time.
      if (input.isDefault) await tx.calendar.updateMany({ where: { isDefault: true }, data: { isDefault: false } });
      const created = await tx.calendar.create({
        data: {
          tenantId: requireViewer(ctx).tenantId,
          name: input.name,
          timeZone: calendar.timeZone,
          hours: hoursForStorage(calendar) as object[],
          holidays: calendar.holidays as object[],
          isDefault: input.isDefault || first,
        },
      });
      return created;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken();
    throw err;
  }
}

/** Given fields replace the stored ones (hours and holidays as whole lists); the result is validated as a whole. */
export async function updateCalendar(ctx: Context, id: string, patch: CalendarPatch) {
  try {
    return await ctx.db.$transaction(async (tx) => {
      const row = await tx.calendar.findUnique({ where: { id } });
      if (!row) throw notFound("Calendar");
      const current = storedCalendar(row);
      const calendar = parseCalendar({
        timeZone: patch.timeZone ?? row.timeZone,
        hours: patch.hours ?? hoursForStorage(current),
        holidays: patch.holidays ?? current.holidays,
      });
      if (patch.isDefault === false && row.isDefault) {
        throw new AppError("VALIDATION", "Make another calendar the default instead", {
          fields: [{ path: ["input", "isDefault"], message: "the default calendar stays until another one becomes the default" }],
        });
      }
      if (patch.isDefault) await takeDefault(tx, id);
      return tx.calendar.update({
        where: { id },
        data: {
          ...(patch.name ? { name: patch.name } : {}),
          ...(patch.isDefault ? { isDefault: true } : {}),
          timeZone: calendar.timeZone,
          hours: hoursForStorage(calendar) as object[],
          holidays: calendar.holidays as object[],
        },
      });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken();
    throw err;
  }
}

/** Refused while an SLA policy counts in it, and for the default while other calendars exist (make another the default first). */
export async function deleteCalendar(ctx: Context, id: string) {
  await ctx.db.$transaction(async (tx) => {
    const row = await tx.calendar.findUnique({ where: { id }, include: { _count: { select: { slaPolicies: true } } } });
    if (!row) throw notFound("Calendar");
    if (row._count.slaPolicies) {
      throw new AppError("CONFLICT", `${row._count.slaPolicies} SLA policies count in this calendar; give them another one first`, {
        policies: row._count.slaPolicies,
      });
    }
    if (row.isDefault && (await tx.calendar.count()) > 1) {
      throw new AppError("CONFLICT", "This is the default calendar; make another one the default first");
    }
    await tx.calendar.delete({ where: { id } });
  });
}
