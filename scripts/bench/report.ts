import os from "node:os";

// Other processes on the machine skew the numbers; the load average says whether there were any.
export const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" / ");

/** The first line of a bench's output: what it ran on. */
export function machineLine(): string {
  const cpus = os.cpus();
  return (
    `Machine: ${os.availableParallelism()} CPUs (${cpus[0]?.model.trim() ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ` +
    `load average ${loadAverage()} (1/5/15 min) at start`
  );
}

/** Prints rows under a header: the first `textColumns` cells left-aligned, the rest (figures) right-aligned. */
export function printTable(header: string[], rows: string[][], textColumns: number) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < textColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}

/** A target's line: PASS or MISS with the figure as shown, or n/a when it was not measured (no value). */
export function judge(what: string, value: number | undefined, pass: boolean, shown: string) {
  console.log(value === undefined ? `n/a   ${what}: not measured` : `${pass ? "PASS" : "MISS"}  ${what}: ${shown}`);
}
