// deskgraph audit:verify --tenant <slug> (src/cli/audit-verify.ts)
//   Recomputes the tenant's audit chain; exit code 0 when intact, 1 when not, 2 for bad usage.
import { parseArgs } from "node:util";
import type { Database } from "../db/database.js";
import { sealTenant } from "../sequencer/seal.js";
import { verifyAuditChain } from "./verify.js";

export async function runAuditVerifyCommand(database: Database, args: string[], print: (line: string) => void): Promise<number> {
  let slug: string | undefined;
  try {
    slug = parseArgs({ args, options: { tenant: { type: "string" } } }).values.tenant;
  } catch (err) {
    print((err as Error).message);
  }
  if (!slug) {
    print("Usage: deskgraph audit:verify --tenant <slug>");
    return 2;
  }
  const tenant = await database.prisma.tenant.findUnique({ where: { slug }, select: { id: true } });
  if (!tenant) {
    print(`No tenant "${slug}".`);
    return 2;
  }
  // What servers committed and not yet numbered (or a stopped server left) is numbered first.
  await sealTenant(database, tenant.id);
  const r = await verifyAuditChain(database, tenant.id);
  if (r.valid) {
    print(`Audit log of "${slug}": valid.`);
    print(`  ${r.checkedEntries} entries checked; head at seq ${r.headSeq}, hash ${r.headHash || "(none)"}`);
    return 0;
  }
  print(`Audit log of "${slug}": INVALID at seq ${r.firstInvalidSeq}.`);
  print(`  ${r.reason}`);
  print(`  ${r.checkedEntries} entries verified before it; head at seq ${r.headSeq}, hash ${r.headHash || "(none)"}`);
  return 1;
}
