import DataLoader from "dataloader";
import { Prisma, type Message } from "../generated/prisma/client.js";
import type { Context } from "../graphql/context.js";

const loaders = new WeakMap<Context, DataLoader<string, Message | null>>();

/** The columns Prisma reads: not `*`, which would bring the tsvector column it cannot read. */
const COLUMNS = Object.values(Prisma.MessageScalarFieldEnum)
  .map((c) => `"${c}"`)
  .join(", ");

/**
 * The latest message of many tickets in one query (DISTINCT ON), per request.
 * Callers without notes:read get the latest public message instead.
 */
export function lastMessageLoader(ctx: Context): DataLoader<string, Message | null> {
  let loader = loaders.get(ctx);
  if (!loader) {
    const tenantId = ctx.viewer!.tenantId;
    const withNotes = ctx.can("notes:read");
    loader = new DataLoader(async (ticketIds) => {
      // Raw SQL bypasses the tenant-scoped client, so the tenant filter is explicit here.
      const rows = await ctx.database.prisma.$queryRawUnsafe<Message[]>(
        `SELECT DISTINCT ON ("ticketId") ${COLUMNS} FROM "Message"
          WHERE "tenantId" = $1::uuid AND "ticketId" = ANY($2::uuid[]) ${withNotes ? "" : `AND NOT "internal"`}
          ORDER BY "ticketId", "createdAt" DESC, "id" DESC`,
        tenantId,
        ticketIds,
      );
      const byTicket = new Map(rows.map((m) => [m.ticketId, m]));
      return ticketIds.map((id) => byTicket.get(id) ?? null);
    });
    loaders.set(ctx, loader);
  }
  return loader;
}
