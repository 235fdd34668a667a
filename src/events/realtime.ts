import type { Logger } from "pino";
import type { AuthenticateOptions } from "../auth/viewer.js";
import type { Database } from "../db/database.js";
import { createEventBus, type EventBus } from "./bus.js";
import { CredentialRecheck } from "./credentials.js";
import { EventFeed } from "./feed.js";
import { pruneEvents } from "./prune.js";
import { Sequencer } from "../sequencer/sequencer.js";

/** The event machinery of one instance: the bus between instances, the sequencer, the feed subscribers read. */
export interface Realtime {
  bus: EventBus;
  /** Numbers committed audit entries and events; `kick(tenantId)` resolves once what committed before is sealed. */
  sequencer: Sequencer;
  feed: EventFeed;
  /** Re-checks the credentials of open subscriptions, shared between them. */
  credentials: CredentialRecheck;
  close(): Promise<void>;
}

export function startRealtime(
  database: Database,
  redisUrl: string | undefined,
  log: Logger,
  pollMs = 2000,
  keepDays = 7,
  auth: AuthenticateOptions = { log },
  sequencerPollMs = 1000,
): Realtime {
  const bus = createEventBus(redisUrl, log);
  // The sequencer's timer is only a safety net (appends kick it).
  const sequencer = new Sequencer(database, bus, log, sequencerPollMs);
  const feed = new EventFeed(database, bus, pollMs);
  // Back from an outage: publish the notices that waited, and look for what this instance missed.
  const stopResume = bus.onResume(() => {
    sequencer.retryPublishing();
    setTimeout(() => feed.pollAll(), 200).unref();
  });
  sequencer.start();
  // Once an hour, events older than the replay window go.
  const pruning = setInterval(() => {
    pruneEvents(database, keepDays).catch((err) => log.warn({ err }, "event pruning failed"));
  }, 3_600_000);
  pruning.unref();
  return {
    bus,
    sequencer,
    feed,
    credentials: new CredentialRecheck(database, auth),
    async close() {
      clearInterval(pruning);
      stopResume();
      feed.close();
      await sequencer.stop();
      await bus.close();
    },
  };
}
