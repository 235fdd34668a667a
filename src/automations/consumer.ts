import type { EventConsumer } from "../events/consumers/consumer.js";
import { wakeAfterCommit } from "../events/consumers/wake-after-commit.js";
import { EVENT_TYPES, type EventType } from "../events/outbox.js";
import type { PluginServices } from "../plugin-host/plugin.js";
import { runRules, TRIGGER_OF } from "./engine.js";
import { disableRulesOfDeletedFields } from "./field-gone.js";

/**
 * Automations run after commit, as a transactional consumer of sealed
 * events: a rule's changes, its run log and the cursor commit together, so
 * each event fires each rule exactly once, off the request that caused it and
 * under no lock but the consumer's lease on the tenant. `webhooksQueued`
 * wakes the webhook worker for the calls rules queued.
 */
export function automationConsumer(services: PluginServices, webhooksQueued: () => void): EventConsumer {
  const webhooks = wakeAfterCommit(webhooksQueued);
  return {
    name: "automations",
    // The types the triggers stand for, and the deletion of a field that rules may name.
    types: EVENT_TYPES.filter((t: EventType) => TRIGGER_OF[t] !== undefined || t === "CUSTOM_FIELD_DEACTIVATED"),
    transactional: true,
    // A call runs rules on a few of the batch's events and stops (runRules): their changes lock
    // tickets until it commits.
    async handle({ tenantId, events, tx }) {
      // The field is gone by the time this batch runs: rules naming it sit out every event of it.
      await disableRulesOfDeletedFields(tx!, tenantId, events);
      const { webhookQueued, stoppedAt } = await runRules(services, tenantId, events, tx!);
      if (webhookQueued) webhooks.queued(tenantId);
      return stoppedAt;
    },
    afterCommit: webhooks.afterCommit,
  };
}
