import type { Logger } from "pino";
import type { AuthenticateOptions } from "../auth/viewer.js";
import type { Database } from "../db/database.js";
import { createEventBus, type EventBus } from "./bus.js";
import { CredentialRecheck } from "./credentials.js";
import { EventFeed } from "./feed.js";
import { pruneEvents } from "./prune.js";
import { Sequencer } from "../sequencer/sequencer.js";
import { ConsumerDriver } from "./consumers/driver.js";

/** How long a request waits for the work that follows its events (see Realtime.settle). */
const SETTLE_MS = 5000;

/** The event machinery of one instance: the bus between instances, the sequencer, the feed subscribers read, the consumers of events. */
export interface Realtime {
  bus: EventBus;
  /** Numbers committed audit entries and events; `kick(tenantId)` resolves once what committed before is sealed. */
  sequencer: Sequencer;
  /** Runs the work that follows committed events; register consumers, then start it. */
  consumers: ConsumerDriver;
  /**
   * Waits (a bounded while) until what the tenant committed so far is
   * numbered and the consumers that requests wait for have handled it.
   */
  settle(tenantId: string): Promise<void>;
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
  // Consumers start as soon as this instance has numbered events; their own timers catch
  // what other instances numbered while theirs were busy or gone.
  const consumers = new ConsumerDriver(database, log);
  const stopKicking = sequencer.onNumbered((tenantId) => consumers.nudge(tenantId));
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
    consumers,
    async settle(tenantId) {
      const caughtUp = async () => {
        await sequencer.kick(tenantId);
        const head = sequencer.headOf(tenantId);
        if (head !== undefined) await consumers.caughtUp(tenantId, head);
      };
      // A stuck sequencer or a slow vendor delays a response by this much at most.
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([caughtUp(), new Promise<void>((resolve) => (bound = setTimeout(resolve, SETTLE_MS).unref()))]);
      clearTimeout(bound);
    },
    feed,
    credentials: new CredentialRecheck(database, auth),
    async close() {
      clearInterval(pruning);
      stopResume();
      feed.close();
      stopKicking();
      await consumers.stop();
      await sequencer.stop();
      await bus.close();
    },
  };
}
