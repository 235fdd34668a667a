import type { Logger } from "pino";
import type { AuthenticateOptions } from "../auth/viewer.js";
import type { Database } from "../db/database.js";
import { createEventBus, type EventBus } from "./bus.js";
import { CredentialRecheck } from "./credentials.js";
import { EventFeed } from "./feed.js";
import { pruneEvents } from "./prune.js";
import { EventRelay } from "./relay.js";

/** The event machinery of one instance: the bus between instances, the outbox relay, the feed subscribers read. */
export interface Realtime {
  bus: EventBus;
  relay: EventRelay;
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
): Realtime {
  const bus = createEventBus(redisUrl, log);
  // The relay's timer is only a safety net (commits kick it): it runs as often as subscribers poll.
  const relay = new EventRelay(database, bus, log, pollMs);
  const feed = new EventFeed(database, bus, pollMs);
  // Back from an outage: publish what waited in the outbox, and look for what this instance missed.
  const stopResume = bus.onResume(() => {
    void relay.kick();
    setTimeout(() => feed.pollAll(), 200).unref();
  });
  relay.start();
  // Once an hour, events older than the replay window go.
  const pruning = setInterval(() => {
    pruneEvents(database, keepDays).catch((err) => log.warn({ err }, "event pruning failed"));
  }, 3_600_000);
  pruning.unref();
  return {
    bus,
    relay,
    feed,
    credentials: new CredentialRecheck(database, auth),
    async close() {
      clearInterval(pruning);
      stopResume();
      feed.close();
      await relay.stop();
      await bus.close();
    },
  };
}
