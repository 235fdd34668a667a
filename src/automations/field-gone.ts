import type { Tx } from "../db/tx.js";
import { missingFields } from "../custom-fields/filter.js";
import type { SealedEvent } from "../events/outbox.js";
import { Prisma } from "../generated/prisma/client.js";

/**
 * A ticket custom field was deleted (CUSTOM_FIELD_DEACTIVATED): the rules
 * that compare it (`custom:<key>`) or set it (SET_CUSTOM_FIELD) are disabled
 * with the reason, in one statement, rather than each failing at its next
 * event. A field restored before the event is handled is left alone: only
 * keys still missing count. Returns how many rules were disabled.
 */
export async function disableRulesOfDeletedFields(tx: Tx, tenantId: string, events: SealedEvent[]): Promise<number> {
  const keys = events.flatMap((e) => {
    const d = e.data as { entity?: unknown; key?: unknown } | null;
    return e.type === "CUSTOM_FIELD_DEACTIVATED" && d?.entity === "TICKET" && typeof d.key === "string" ? [d.key] : [];
  });
  if (!keys.length) return 0;
  const gone = await missingFields(tx, "TICKET", keys);
  if (!gone.length) return 0;
  return tx.$executeRaw(Prisma.sql`
    UPDATE "AutomationRule" r
    SET "enabled" = false, "disabledReason" = 'custom field ' || m."key" || ' was deleted', "updatedAt" = now()
    FROM (
      SELECT rule."id", min(k) AS "key"
      FROM "AutomationRule" rule, unnest(${gone}::text[]) AS k
      WHERE rule."tenantId" = ${tenantId}::uuid AND rule."enabled"
        AND (jsonb_path_exists(rule."conditions", '$.*[*] ? (@.field == $f)', jsonb_build_object('f', 'custom:' || k))
          OR jsonb_path_exists(rule."actions", '$[*] ? (@.type == "SET_CUSTOM_FIELD" && @.key == $k)', jsonb_build_object('k', k)))
      GROUP BY rule."id"
    ) m
    WHERE r."id" = m."id"`);
}
