import type { ElasticsearchRuntime } from "./options.js";
import { aliasFor } from "./mappings.js";

export type IndexState = NonNullable<Awaited<ReturnType<typeof stateOf>>>;

/** How long a build may go without a heartbeat before another instance may take it over. */
export const BUILD_STALE_MS = 10 * 60_000;

export const stateOf = (runtime: ElasticsearchRuntime) =>
  runtime.core.db.searchIndexState.findUnique({ where: { tenantId: runtime.tenantId } });

/**
 * The state, if it describes the cluster and alias the tenant's settings name
 * now: pointing the plugin at another cluster (or prefix) means that cluster
 * has no index yet, so it is not ready there.
 */
export async function currentState(runtime: ElasticsearchRuntime): Promise<IndexState | null> {
  const state = await stateOf(runtime);
  if (!state || state.node !== runtime.settings.node || state.alias !== aliasFor(runtime.settings, runtime.tenantId)) return null;
  return state;
}

/** Searching uses the index once a full build completed on the current cluster. */
export const isReady = (state: IndexState | null): boolean => !!state?.readyAt && !!state.activeIndex;

/**
 * Where a change must go: the live alias once ready, and the index being built
 * too, so that nothing changed during a rebuild is missing after the switch.
 */
export function writeTargets(state: IndexState | null): string[] {
  if (!state) return [];
  return [...(isReady(state) ? [state.alias] : []), ...(state.buildingIndex ? [state.buildingIndex] : [])];
}
