import { describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import type { EventBus, EventNotice } from "../src/events/bus.js";
import { EventFeed } from "../src/events/feed.js";

/**
 * The seam between reading and waiting, with the database and the bus under
 * the test's control: a notice that arrives while a stream is reading must
 * not be lost (the stream would otherwise wait for the slow poll).
 */
function fixture() {
  const reads: { after: number; resolve: (rows: unknown[]) => void }[] = [];
  const database = {
    prisma: {
      event: {
        findMany: (args: { where: { seq: { gt: number } } }) => new Promise((resolve) => reads.push({ after: args.where.seq.gt, resolve })),
      },
      tenant: { findUnique: async () => ({ eventSeq: 0 }) },
    },
  } as unknown as Database;
  const listeners = new Set<(n: EventNotice) => void>();
  const bus: EventBus = {
    ready: true,
    publish: async (n) => {
      for (const l of listeners) l(n);
      return true;
    },
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    onResume: () => () => {},
    close: async () => {},
  };
  // A poll far away: only notices can wake a stream within this test.
  const feed = new EventFeed(database, bus, 60_000);
  return { reads, bus, feed };
}

const event = (seq: number) => ({ id: `e${seq}`, tenantId: "t", seq, type: "TICKET_UPDATED" });
const tick = () => new Promise((r) => setTimeout(r, 20));

describe("EventFeed", () => {
  it("reads again when a notice arrived during a read, instead of waiting", async () => {
    const { reads, bus, feed } = fixture();
    const controller = new AbortController();
    const got: number[] = [];
    const consuming = (async () => {
      for await (const e of feed.stream("t", 0, controller.signal)) got.push(e.seq);
    })();
    await tick();
    expect(reads.map((r) => r.after)).toEqual([0]);
    // Event 1 commits and is announced while the first read is still running; that read misses it.
    await bus.publish({ tenantId: "t", seq: 1 });
    reads[0]!.resolve([]);
    await tick();
    expect(reads.map((r) => r.after)).toEqual([0, 0]);
    reads[1]!.resolve([event(1)]);
    await tick();
    expect(got).toEqual([1]);
    controller.abort();
    reads[2]?.resolve([]);
    await consuming;
    feed.close();
  });

  it("shares one read among streams woken by the same notice, and never a read older than the notice", async () => {
    const { reads, bus, feed } = fixture();
    const controller = new AbortController();
    const got: number[][] = [[], [], []];
    const consuming = got.map(async (into) => {
      for await (const e of feed.stream("t", 0, controller.signal)) into.push(e.seq);
    });
    await tick();
    // Three streams at the same position, one read between them.
    expect(reads).toHaveLength(1);
    reads[0]!.resolve([]);
    await tick();
    await bus.publish({ tenantId: "t", seq: 1 });
    await tick();
    expect(reads).toHaveLength(2);
    reads[1]!.resolve([event(1)]);
    await tick();
    expect(got).toEqual([[1], [1], [1]]);
    controller.abort();
    for (const r of reads.slice(2)) r.resolve([]);
    await Promise.all(consuming);
    feed.close();
  });

  it("ends a waiting stream as soon as it is aborted", async () => {
    const { reads, feed } = fixture();
    const controller = new AbortController();
    let ended = false;
    const consuming = (async () => {
      for await (const _ of feed.stream("t", 0, controller.signal));
      ended = true;
    })();
    await tick();
    reads[0]!.resolve([]);
    await tick();
    expect(ended).toBe(false);
    controller.abort();
    await consuming;
    expect(ended).toBe(true);
    feed.close();
  });
});
