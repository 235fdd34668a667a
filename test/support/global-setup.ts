import { ensureSnapshot } from "../../src/db/snapshot.js";

/**
 * Once per run, before any test file: the migrated snapshot every embedded test
 * database starts from (src/db/snapshot.ts). `npm run build` may have made it
 * already; otherwise it is made here, in a few seconds, instead of each file
 * paying initdb and every migration.
 */
export default async function setup(): Promise<void> {
  await ensureSnapshot();
}
