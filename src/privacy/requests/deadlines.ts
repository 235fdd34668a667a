/**
 * GDPR art. 12(3): answer "within one month of receipt", extendable once "by two
 * further months". A month is a calendar month: 31 January is due on the last
 * day of February, not on 3 March.
 */
export function addCalendarMonths(from: Date, months: number): Date {
  const d = new Date(from.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, lastDay));
  return d;
}

export const dueDate = (receivedAt: Date) => addCalendarMonths(receivedAt, 1);

/** Counted from receipt, so that an extension is always three months in total. */
export const extendedDueDate = (receivedAt: Date) => addCalendarMonths(receivedAt, 3);
