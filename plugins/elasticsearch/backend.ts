import type { ElasticsearchRuntime } from "./options.js";
import type { SearchBackend, SearchKind } from "../../src/search/contract.js";
import type { ClientFor } from "./client.js";
import { searchParams, similarParams, toResultPage } from "./query.js";
import { currentState, isReady } from "./state.js";
import { outboundGuard } from "../../src/outbound/guard.js";

/**
 * The tenant's Elasticsearch search, or null while there is no complete index
 * on the configured cluster (just enabled, first build running, cluster
 * changed): the core then keeps using PostgreSQL, so searching never stops.
 * Every search is a call through the gateway (recorded); it names no data
 * subject, as a search carries only the caller's query.
 */
export async function searchBackendFor(runtime: ElasticsearchRuntime, clientFor: ClientFor): Promise<SearchBackend | null> {
  const state = await currentState(runtime);
  if (!state || !isReady(state)) return null;
  const client = await clientFor(runtime.settings, outboundGuard(runtime.core.config));
  return {
    name: "elasticsearch",
    async search(request) {
      if (request.scope.tenantId !== runtime.tenantId) throw new Error("A search for another tenant reached this tenant's index");
      if (!request.scope.kinds.length) return { hits: [], total: 0 };
      const response = await runtime.call(
        { operation: "search", purpose: "support", categories: ["user.content.message"], subjectIds: [] },
        () => client.search<{ kind: SearchKind; id: string }>(searchParams(state.alias, request)),
      );
      return toResultPage(response);
    },
    async similar(request) {
      if (request.tenantId !== runtime.tenantId) throw new Error("A search for another tenant reached this tenant's index");
      const response = await runtime.call(
        // The ticket's documents are named by id: no text of it goes out with the call.
        { operation: "similar", purpose: "support", categories: ["user.content.message"], subjectIds: [] },
        () => client.search<{ ticketId: string }>(similarParams(state.alias, request)),
      );
      return response.hits.hits.map((h) => ({ id: h._source!.ticketId, score: h._score ?? 0 }));
    },
  };
}
