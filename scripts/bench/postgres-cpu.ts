import { readFile } from "node:fs/promises";
import pg from "pg";

/** Microseconds per clock tick of /proc/<pid>/stat: USER_HZ is 100 on every mainstream Linux build. */
const TICK_MICROS = 10_000;

/** CPU time used so far by each backend, by pid, in microseconds. */
export type BackendTimes = Map<number, number>;

export interface BackendCpu {
  read(): Promise<BackendTimes>;
  close(): Promise<void>;
}

async function cpuMicrosOf(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name in parentheses: state is the first, utime the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MICROS;
  } catch {
    return null;
  }
}

/**
 * The CPU time of the PostgreSQL backends serving one database, read from
 * /proc: the work a server under test hands to PostgreSQL (the raw server
 * builds its whole JSON there) costs the same two cores. Null when the server
 * is not a process of this machine that /proc shows. A backend that exits
 * during a window takes its time with it; the pools under load stay open.
 */
export async function openBackendCpu(databaseUrl: string): Promise<BackendCpu | null> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  if ((await cpuMicrosOf(rows[0]!.pid)) === null) {
    await client.end();
    return null;
  }
  return {
    async read() {
      const backends = await client.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
      );
      const times: BackendTimes = new Map();
      for (const { pid } of backends.rows) {
        const micros = await cpuMicrosOf(pid);
        if (micros !== null) times.set(pid, micros);
      }
      return times;
    },
    close: () => client.end(),
  };
}

/** CPU time used between two readings by the backends alive at the second (new ones from zero). */
export function backendMicrosBetween(before: BackendTimes, after: BackendTimes): number {
  let micros = 0;
  for (const [pid, t] of after) micros += t - (before.get(pid) ?? 0);
  return micros;
}
