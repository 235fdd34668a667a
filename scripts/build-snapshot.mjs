// Part of `npm run build`, after tsc: the migrated empty embedded database that
// a new DATA_DIR starts from (src/db/snapshot.ts). Nothing to do when the one for
// the current migrations exists; making it costs a few seconds of CPU once.
import { ensureSnapshot } from "../dist/src/db/snapshot.js";

const started = performance.now();
const { file, made } = await ensureSnapshot();
if (made) console.log(`Embedded database snapshot: ${file} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
