import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import type { Redis } from "ioredis";
import { lazyModule } from "../lazy-module.js";
import type { Logger } from "pino";

/** "Tenant T has committed events up to seq N": all an instance needs to wake its subscribers. */
export interface EventNotice {
  tenantId: string;
  seq: number;
}

export interface EventBus {
  /** Resolves true once the notice is out; false if the shared bus could not take it (it stays in the outbox). */
  publish(notice: EventNotice): Promise<boolean>;
  subscribe(listener: (notice: EventNotice) => void): () => void;
  /** Called when the shared bus is back after an outage: notices sent meanwhile may have been missed. */
  onResume(listener: () => void): () => void;
  /** False while the shared bus (Redis) is unreachable: the relay then keeps events in the outbox. */
  readonly ready: boolean;
  close(): Promise<void>;
}

const TOPIC = "deskgraph:events";

// Redis going away must not take the API with it: errors are logged, ioredis reconnects,
// and no command's promise is left to reject unhandled.
const redisOptions = { lazyConnect: false, maxRetriesPerRequest: null, retryStrategy: (n: number) => Math.min(n * 200, 2000) };
/** For commands a request waits on: refused at once while Redis is away, and never more than 2 s. */
export const failFastRedisOptions = { ...redisOptions, enableOfflineQueue: false, commandTimeout: 2000 };

/** Redis' client, loaded only where REDIS_URL is set (see lazyModule). */
export const ioredis = lazyModule<typeof import("ioredis")>("ioredis");

/** In memory for one instance; through Redis when REDIS_URL is set, so instances share it. */
export function createEventBus(redisUrl: string | undefined, log: Logger): EventBus {
  if (!redisUrl) {
    const target = new EventTarget();
    return {
      ready: true,
      async publish(notice) {
        target.dispatchEvent(new CustomEvent(TOPIC, { detail: notice }));
        return true;
      },
      subscribe(listener) {
        const handler = (e: Event) => listener((e as CustomEvent<EventNotice>).detail);
        target.addEventListener(TOPIC, handler);
        return () => target.removeEventListener(TOPIC, handler);
      },
      onResume: () => () => {},
      async close() {},
    };
  }
  // Publishing fails fast while Redis is away: the events stay in the outbox until it is back.
  const publishClient = new (ioredis().Redis)(redisUrl, failFastRedisOptions);
  // SUBSCRIBE waits for the connection (at start and after an outage ioredis subscribes again).
  const subscribeClient = new (ioredis().Redis)(redisUrl, { ...redisOptions, enableOfflineQueue: true });
  const resumeListeners = new Set<() => void>();
  // Once both connections are back after an outage, say so: the relay publishes what waited.
  let connectedOnce = false;
  let down = false;
  const onReady = () => {
    if (publishClient.status !== "ready" || subscribeClient.status !== "ready") return;
    if (connectedOnce && down) {
      log.info("redis is back");
      for (const listener of resumeListeners) listener();
    }
    connectedOnce = true;
    down = false;
  };
  for (const client of [publishClient, subscribeClient]) {
    client.on("ready", onReady);
    client.on("error", (err) => {
      if (!down) log.warn({ err: err.message }, "redis unavailable; events wait in the outbox");
      down = true;
    });
    client.on("close", () => (down = connectedOnce || down));
  }
  const quiet = (p: Promise<unknown>) => p.catch((err: Error) => log.debug({ err: err.message }, "redis command failed"));
  // The event target only subscribes (and unsubscribes); publishing is awaited below.
  const subscriber = {
    on: (event: "message", fn: (channel: string, message: string) => void) => subscribeClient.on(event, fn),
    subscribe: (...topics: string[]) => quiet(subscribeClient.subscribe(...topics)),
    unsubscribe: (...topics: string[]) => quiet(subscribeClient.unsubscribe(...topics)),
  };
  const target = createRedisEventTarget<CustomEvent<EventNotice>>({ publishClient, subscribeClient: subscriber as unknown as Redis });
  return {
    get ready() {
      return publishClient.status === "ready" && subscribeClient.status === "ready";
    },
    async publish(notice) {
      if (!this.ready) return false;
      try {
        await publishClient.publish(TOPIC, JSON.stringify(notice));
        return true;
      } catch (err) {
        log.warn({ err: (err as Error).message }, "could not publish an event notice; it stays in the outbox");
        return false;
      }
    },
    subscribe(listener) {
      const handler = (e: CustomEvent<EventNotice>) => listener(e.detail);
      target.addEventListener(TOPIC, handler as never);
      return () => target.removeEventListener(TOPIC, handler as never);
    },
    onResume(listener) {
      resumeListeners.add(listener);
      return () => resumeListeners.delete(listener);
    },
    async close() {
      resumeListeners.clear();
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
