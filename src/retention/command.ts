import type { Database } from "../db/database.js";
import { sweep, type SweepOptions, type TenantSweep } from "./sweep.js";
import { tenantIdForSlug } from "../tenants/service.js";
import { textTable } from "../cli/text-table.js";
import { drainBlobDeletions } from "../blobs/deletions.js";

/** Reads `--tenant <slug>` (or `--tenant=<slug>`) from the command's arguments. */
function tenantArgument(args: string[]): string | undefined {
  const i = args.findIndex((a) => a === "--tenant" || a.startsWith("--tenant="));
  if (i < 0) return undefined;
  const value = args[i]!.includes("=") ? args[i]!.slice("--tenant=".length) : args[i + 1];
  if (!value || value.startsWith("--")) throw new Error("--tenant needs a tenant slug");
  return value;
}

/** One line per tenant and target: what was done and what a legal hold kept. */
function sweepTable(results: TenantSweep[]): string {
  const rows = [["tenant", "target", "action", "keep days", "processed", "kept (hold)", "status"]];
  for (const r of results) {
    const status = r.error ? `stopped: ${r.error}` : "done";
    const entries = Object.entries(r.counts);
    if (!entries.length) rows.push([r.slug, "—", "", "", "0", "0", status]);
    for (const [target, c] of entries) {
      rows.push([r.slug, target, c!.action, String(c!.keepDays), String(c!.processed), String(c!.skippedForHold), status]);
    }
  }
  return textTable(rows);
}

/**
 * `npm run sweep [-- --tenant <slug>]`: one sweep now, a table of counts, and
 * exit code 1 when a tenant's sweep stopped early (the next run resumes it).
 */
export async function runSweepCommand(
  database: Database,
  args: string[],
  print: (line: string) => void,
  options: SweepOptions = {},
): Promise<number> {
  const slug = tenantArgument(args);
  const tenantId = await tenantIdForSlug(database, slug);
  if (tenantId === null) {
    print(`No tenant "${slug}".`);
    return 2;
  }
  const results = await sweep(database, { ...options, tenantId });
  // The files of what it deleted leave the store now, as after the server's own sweeps.
  await drainBlobDeletions(database);
  if (!results.length) {
    print(slug ? `Tenant "${slug}" has no retention rules.` : "No tenant has retention rules.");
    return 0;
  }
  print(sweepTable(results));
  return results.some((r) => r.error) ? 1 : 0;
}
