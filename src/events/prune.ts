import type { Database } from "../db/database.js";
import { DAY_MS } from "../constants.js";

/**
 * Events are kept for a window so that subscribers can replay after a
 * disconnect; older ones go. A cursor from before the window then gets
 * CURSOR_EXPIRED and resynchronises from the tickets query.
 */
export async function pruneEvents(database: Database, keepDays: number, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - keepDays * DAY_MS);
  const { count } = await database.prisma.event.deleteMany({ where: { createdAt: { lt: before }, seq: { not: null } } });
  return count;
}
