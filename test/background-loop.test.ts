import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BackgroundLoop } from "../src/background/loop.js";

const log = pino({ level: "silent" });

/** A loop whose passes take `passMs` of (fake) time and are counted. */
function countingLoop(passMs = 0) {
  const passes: number[] = [];
  const loop = new BackgroundLoop({
    name: "test loop",
    log,
    idleMs: 60_000,
    async run() {
      passes.push(Date.now());
      if (passMs) await new Promise((r) => setTimeout(r, passMs));
    },
  });
  return { loop, passes };
}

describe("BackgroundLoop.nudge", () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it("starts a pass at once after a quiet spell, then folds a burst of nudges into one pass per gap", async () => {
    const { loop, passes } = countingLoop();
    loop.nudge(200);
    await vi.advanceTimersByTimeAsync(0);
    expect(passes).toEqual([1_000_000]);
    // A hundred changes within the next 150 ms: one more pass, 200 ms after the first ended.
    for (let i = 0; i < 100; i++) {
      loop.nudge(200);
      await vi.advanceTimersByTimeAsync(1.5);
    }
    expect(passes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(passes).toEqual([1_000_000, 1_000_200]);
    // Quiet again: the next nudge is served at once.
    await vi.advanceTimersByTimeAsync(1000);
    loop.nudge(200);
    await vi.advanceTimersByTimeAsync(0);
    expect(passes).toHaveLength(3);
    expect(passes[2]).toBe(1_001_250);
    await loop.stop();
  });

  it("spaces the pass a nudge asked for during a pass from that pass's end", async () => {
    const { loop, passes } = countingLoop(500);
    loop.nudge(200);
    await vi.advanceTimersByTimeAsync(100);
    loop.nudge(200); // during the pass
    await vi.advanceTimersByTimeAsync(400); // the first pass ends at +500
    expect(passes).toEqual([1_000_000]);
    await vi.advanceTimersByTimeAsync(199);
    expect(passes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(passes).toEqual([1_000_000, 1_000_700]);
    await vi.advanceTimersByTimeAsync(500);
    await loop.stop();
  });

  it("leaves kick() as it was: a pass now, or one more right after the pass under way", async () => {
    const { loop, passes } = countingLoop(100);
    void loop.kick();
    void loop.kick();
    await vi.advanceTimersByTimeAsync(200);
    expect(passes).toEqual([1_000_000, 1_000_100]);
    await loop.stop();
  });
});
