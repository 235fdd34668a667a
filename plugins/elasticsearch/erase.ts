import type { ErasureResult } from "../../src/plugin-host/plugin.js";
import type { ElasticsearchRuntime } from "./options.js";
import type { ClientFor } from "./client.js";
import { currentState } from "./state.js";
import { outboundGuard } from "../../src/outbound/guard.js";

/**
 * Deletes a data subject's documents from the tenant's index (and from one
 * being built): every document that carries them (subjectIds: their tickets,
 * the messages on those and their own, their contact document), plus other
 * documents from their email address or quoting it. Refreshed at once, so a
 * search right after the erasure cannot find them.
 *
 * Text elsewhere that mentions them is scrubbed by the erasure in the
 * database; those rows are re-queued by the triggers and sent again without
 * the mention. The call names no subject: an erasure must go through even for
 * someone whose processing is restricted.
 */
export async function eraseFromIndex(
  runtime: ElasticsearchRuntime,
  clientFor: ClientFor,
  subject: { contactId: string; email: string | null },
): Promise<ErasureResult> {
  const state = await currentState(runtime);
  const indices = [state?.activeIndex ? state.alias : null, state?.buildingIndex ?? null].filter((i): i is string => !!i);
  const store = `Elasticsearch index ${state?.alias ?? "(none yet)"}`;
  if (!indices.length) return { store, deleted: 0, note: "no index built yet" };
  const email = subject.email?.toLowerCase();
  const should = [
    { term: { subjectIds: subject.contactId } },
    { term: { contactId: subject.contactId } },
    ...(email
      ? [
          { term: { fromEmail: email } },
          { match_phrase: { body: email } },
          { match_phrase: { subject: email } },
          { match_phrase: { email } },
        ]
      : []),
  ];
  const client = await clientFor(runtime.settings, outboundGuard(runtime.core.config));
  let deleted = 0;
  await runtime.call({ operation: "erase", purpose: "support", categories: [], subjectIds: [], deletesOnly: true }, async () => {
    for (const index of indices) {
      const r = await client.deleteByQuery({
        index,
        routing: runtime.tenantId,
        refresh: true,
        conflicts: "proceed",
        ignore_unavailable: true,
        query: { bool: { filter: [{ term: { tenantId: runtime.tenantId } }], should, minimum_should_match: 1 } },
      });
      deleted += r.deleted ?? 0;
    }
  });
  return { store, deleted };
}
