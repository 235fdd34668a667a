import type { ErasureResult } from "../../src/plugin-host/plugin.js";
import type { ElasticsearchRuntime } from "./options.js";
import type { ClientFor } from "./client.js";
import { stateOf } from "./state.js";
import { outboundGuard } from "../../src/outbound/guard.js";

/**
 * Once the plugin is off, nothing keeps the tenant's index in step with the
 * database any more (a redaction or a retention sweep would not reach it), and
 * enabling again builds a fresh one anyway: so the index goes. Its state stays
 * if the cluster cannot be reached, so that a later erasure still finds it.
 */
export async function dropIndexOnDisable(runtime: ElasticsearchRuntime, clientFor: ClientFor): Promise<ErasureResult> {
  const state = await stateOf(runtime);
  const indices = [state?.activeIndex, state?.buildingIndex].filter((i): i is string => !!i);
  const store = `Elasticsearch index ${state?.alias ?? "(none built)"}`;
  if (!indices.length) return { store, deleted: 0, note: "no index built" };
  const client = await clientFor(runtime.settings, outboundGuard(runtime.core.config));
  await runtime.call({ operation: "deleteIndex", purpose: "support", categories: [], subjectIds: [], deletesOnly: true }, () =>
    client.indices.delete({ index: indices, ignore_unavailable: true }),
  );
  await runtime.core.db.searchIndexState.deleteMany({ where: { tenantId: runtime.tenantId } });
  return { store, deleted: indices.length, note: `deleted ${indices.join(", ")}` };
}
