import { execFile, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./free-port.js";

/**
 * A PostgreSQL server of the test's own, in a temporary directory on a free
 * port of 127.0.0.1, from the installed server binaries
 * (/usr/lib/postgresql/<version>/bin, or PG_BIN). The test may stop, start and
 * restart it; the shared server is never touched.
 */
export interface PrivatePostgres {
  port: number;
  /** A URL for a database on it (default: the `postgres` database). */
  url(database?: string): string;
  /** `pg_ctl stop -m fast`: what an operator's restart does first (sessions are terminated). */
  stop(): Promise<void>;
  /** Starts it again; resolves when it accepts connections. */
  start(): Promise<void>;
  /** `pg_ctl restart -m fast`. */
  restart(): Promise<void>;
  /** The server's own log (for failure messages). */
  log(): string;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

/** The newest installed server's bin directory, or undefined. */
function binDir(): string | undefined {
  if (process.env.PG_BIN) return existsSync(path.join(process.env.PG_BIN, "initdb")) ? process.env.PG_BIN : undefined;
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, "bin", "initdb")) && existsSync(path.join(root, v, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], "bin") : undefined;
}

const isRoot = () => process.getuid?.() === 0;

/** initdb refuses to run as root: as root, the server runs as the `postgres` account. */
function postgresAccount(): { uid: number; gid: number } | undefined {
  const r = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const g = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (r.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** Why a private server cannot run here, or null when it can. */
export function privatePostgresUnavailable(): string | null {
  if (!binDir()) return "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin; set PG_BIN or install postgresql";
  if (isRoot() && !postgresAccount()) return "running as root and there is no `postgres` account to run initdb as";
  if (isRoot() && spawnSync("runuser", ["--help"]).error) return "running as root without runuser to switch to the postgres account";
  return null;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const reason = privatePostgresUnavailable();
  if (reason) throw new Error(reason);
  const bin = binDir()!;
  const dir = mkdtempSync(path.join(tmpdir(), "deskgraph-pg-"));
  const account = isRoot() ? postgresAccount() : undefined;
  if (account) chownSync(dir, account.uid, account.gid);
  const data = path.join(dir, "data");
  const logFile = path.join(dir, "postgres.log");
  const port = await freePort();

  // Asynchronous on purpose: the server under test runs in this process's event loop, or beside it.
  const run = (tool: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const [file, argv] = account ? ["runuser", ["-u", "postgres", "--", path.join(bin, tool), ...args]] : [path.join(bin, tool), args];
      execFile(file, argv, { cwd: dir, timeout: 120_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${tool} ${args.join(" ")} failed: ${err.message}\n${stdout}${stderr}`)) : resolve(),
      );
    });
  // Durability as in production but for fsync (no machine crash to survive in a test): an
  // acknowledged commit survives the fast shutdown a restart does.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const pgCtl = (...args: string[]) => run("pg_ctl", ["-D", data, "-l", logFile, "-o", options, "-w", "-t", "60", ...args]);

  let running = false;
  // Should the test process end without destroy(), the server must not outlive it.
  const orphanGuard = () => {
    if (running)
      spawnSync(
        account ? "runuser" : path.join(bin, "pg_ctl"),
        account
          ? ["-u", "postgres", "--", path.join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop"]
          : ["-D", data, "-m", "immediate", "stop"],
      );
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", orphanGuard);

  try {
    await run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"]);
    await pgCtl("start");
    running = true;
  } catch (err) {
    process.removeListener("exit", orphanGuard);
    orphanGuard();
    throw err;
  }

  return {
    port,
    url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async stop() {
      await pgCtl("stop", "-m", "fast");
      running = false;
    },
    async start() {
      await pgCtl("start");
      running = true;
    },
    async restart() {
      await pgCtl("restart", "-m", "fast");
      running = true;
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : ""),
    async destroy() {
      if (running) await pgCtl("stop", "-m", "immediate").catch(() => {});
      running = false;
      process.removeListener("exit", orphanGuard);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
