import { ALWAYS_OPEN, type BusinessCalendar } from "../calendars/business-time.js";
import { storedCalendar } from "../calendars/validate.js";
import type { Tx } from "../db/tx.js";
import type { Prisma } from "../generated/prisma/client.js";
import type { ActivePolicy } from "./match.js";

/** What loading needs: a consumer's (tenant-scoped) or a job's (unscoped) transaction; the tenant is named in every query either way. */
type Client = Pick<Prisma.TransactionClient, "slaPolicy" | "calendar"> | Pick<Tx, "slaPolicy" | "calendar">;

/** The tenant's enabled policies in order, each with its calendar (the default one when it names none), and the default calendar. */
export async function loadPolicies(db: Client, tenantId: string): Promise<{ policies: ActivePolicy[]; reportCalendar: BusinessCalendar }> {
  const [rows, fallback] = await Promise.all([
    db.slaPolicy.findMany({
      where: { tenantId, enabled: true },
      orderBy: [{ position: "asc" }, { createdAt: "asc" }],
      include: { calendar: true },
    }),
    db.calendar.findFirst({ where: { tenantId, isDefault: true } }),
  ]);
  const reportCalendar = fallback ? storedCalendar(fallback) : ALWAYS_OPEN;
  const policies = rows.map((p) => ({
    id: p.id,
    calendar: p.calendar ? storedCalendar(p.calendar) : reportCalendar,
    priorities: p.priorities,
    channels: p.channels,
    tags: p.tags,
    organizationIds: p.organizationIds,
    firstResponseMinutes: p.firstResponseMinutes,
    nextResponseMinutes: p.nextResponseMinutes,
    resolutionMinutes: p.resolutionMinutes,
    warnAtPercent: p.warnAtPercent,
    warnMinutesBefore: p.warnMinutesBefore,
  }));
  return { policies, reportCalendar };
}
