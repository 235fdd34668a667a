// The machine's CPU as the fairness probe's reference sees it: how much a load
// added (read from /proc/stat), and the same amount burnt by busy loops that are
// no part of any server, so that a quiet tenant's latency beside them shows what
// the host's own scheduler does to it (fairness.ts).
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";

/** Clock ticks of /proc/stat per second: USER_HZ is 100 on every mainstream Linux build. */
const TICKS_PER_SECOND = 100;

/** A reading of the machine's busy time. */
export interface CpuMark {
  /** user + nice + system + irq + softirq over all CPUs, in clock ticks (steal, idle and iowait left out). */
  busyTicks: number;
  at: number;
}

/** Null where /proc/stat cannot be read (not Linux): the reference is then left out. */
export async function cpuMark(): Promise<CpuMark | null> {
  try {
    const stat = await readFile("/proc/stat", "utf8");
    const [user, nice, system, , , irq, softirq] = stat.slice(0, stat.indexOf("\n")).trim().split(/\s+/).slice(1).map(Number);
    return { busyTicks: user! + nice! + system! + irq! + softirq!, at: performance.now() };
  } catch {
    return null;
  }
}

/** The cores the machine was busy on, on average, between two readings. */
export function busyCores(from: CpuMark, to: CpuMark): number {
  const seconds = (to.at - from.at) / 1000;
  return seconds > 0 ? (to.busyTicks - from.busyTicks) / TICKS_PER_SECOND / seconds : 0;
}

/** Each loop busy this long, then resting the rest of its period. */
const PERIOD_MS = 10;

/**
 * Burns `cores` of CPU for `seconds` in as many processes as it takes (each at
 * most one core: busy for its share of every 10 ms, resting the rest), then
 * resolves. Processes, not threads: the scheduler weighs them as it weighs the
 * server and PostgreSQL's backends.
 */
export async function burnCpu(cores: number, seconds: number): Promise<void> {
  if (cores <= 0) return;
  const loops = Math.ceil(cores);
  const duty = Math.min(1, cores / loops);
  const script = `
    const end = Date.now() + ${Math.round(seconds * 1000)};
    const tick = () => {
      const start = Date.now();
      while (Date.now() - start < ${duty * PERIOD_MS}) {}
      if (Date.now() < end) setTimeout(tick, ${(1 - duty) * PERIOD_MS});
    };
    tick();`;
  await Promise.all(
    Array.from({ length: loops }, () => {
      const child = spawn(process.execPath, ["-e", script], { stdio: "ignore" });
      return new Promise<void>((resolve, reject) => {
        child.on("error", reject);
        child.on("exit", () => resolve());
      });
    }),
  );
}
