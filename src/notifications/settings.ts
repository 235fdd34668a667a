import type { TenantClient } from "../db/tenant-scope.js";
import type { Tx } from "../db/tx.js";
import { KINDS, type NotificationKind } from "./kinds.js";

/** Whether the tenant sends each kind: its setting, or the kind's default; a required kind always. */
export async function enabledKinds(db: TenantClient | Tx): Promise<Set<NotificationKind>> {
  const rows = await db.notificationSetting.findMany({ select: { kind: true, enabled: true } });
  const set = new Map(rows.map((r) => [r.kind, r.enabled]));
  return new Set((Object.keys(KINDS) as NotificationKind[]).filter((k) => KINDS[k].required || (set.get(k) ?? KINDS[k].enabledByDefault)));
}
