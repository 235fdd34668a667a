import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, embeddedEnv, ROOT, tempDirs } from "./support/cli.js";
import { openDatabase } from "../src/db/database.js";
import { DatabaseLockedError, LOCK_FILE, lockDataDir } from "../src/db/lock.js";
import { freePort } from "./support/free-port.js";

const tempDir = tempDirs("deskgraph-lock-");

describe("the embedded database lock", () => {
  /** A process id that no process has now: one of a process that has exited. */
  const deadPid = () =>
    new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
      child.on("error", reject);
      child.on("exit", () => resolve(child.pid!));
    });

  it("refuses a second open in the same process until the first is closed", async () => {
    const dataDir = tempDir();
    const first = await openDatabase({ dataDir });
    try {
      await expect(openDatabase({ dataDir })).rejects.toThrow(DatabaseLockedError);
      expect(JSON.parse(readFileSync(path.join(dataDir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    } finally {
      await first.close();
    }
    expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
    const again = await openDatabase({ dataDir });
    await again.close();
  }, 120_000);

  it("takes over the lock of a process that is gone, and an unreadable one", async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, LOCK_FILE);
    const pid = await deadPid();
    writeFileSync(
      file,
      JSON.stringify({ pid, hostname: "h", command: "deskgraph serve", since: "2020-01-01T00:00:00.000Z", token: "old" }),
    );
    const lock = lockDataDir(dataDir, "test");
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ pid: process.pid, command: "test" });
    lock.release();
    expect(existsSync(file)).toBe(false);

    writeFileSync(file, "");
    lockDataDir(dataDir, "test").release();
    expect(existsSync(file)).toBe(false);
  });

  it("keeps a lock whose process runs, and leaves another holder's file alone on release", async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, LOCK_FILE);
    const holder = { pid: process.ppid, hostname: "h", command: "deskgraph serve", since: "2020-01-01T00:00:00.000Z", token: "other" };
    writeFileSync(file, JSON.stringify(holder));
    expect(() => lockDataDir(dataDir)).toThrow(new RegExp(`in use by process ${process.ppid}: deskgraph serve`));
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(holder);
  });

  describe("between a server and a command", () => {
    let server: ChildProcess | undefined;
    afterAll(() => {
      server?.kill("SIGKILL");
    });

    it("a command is refused while a server holds DATA_DIR, naming its pid, and works once it stopped", async () => {
      const dataDir = tempDir();
      const env = { ...embeddedEnv(dataDir), PORT: String(await freePort()), HOST: "127.0.0.1" };
      // node --import tsx (not the tsx binary, which runs the script in a child): the pid is the server's.
      server = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], {
        cwd: ROOT,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      const child = server;
      let output = "";
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (d) => {
          output += d;
          if (output.includes("Deskgraph is running")) resolve();
        });
        child.stderr!.on("data", (d) => (output += d));
        child.once("exit", (code) => reject(new Error(`the server exited (${code}): ${output}`)));
      });

      const refused = await cli(["sweep"], env);
      expect(refused.code).toBe(1);
      expect(refused.out).toBe("");
      expect(refused.err).toContain(`The embedded database in ${dataDir} is in use by process ${child.pid}: deskgraph serve`);
      expect(refused.err).toContain("stop that process first");
      // Refused before the database was opened: the server's lock is untouched.
      expect(JSON.parse(readFileSync(path.join(dataDir, LOCK_FILE), "utf8")).pid).toBe(child.pid);

      const exited = new Promise<string>((resolve) => child.once("exit", (code, signal) => resolve(`code ${code}, signal ${signal}`)));
      child.kill("SIGTERM");
      const how = await exited;
      server = undefined;
      expect(existsSync(path.join(dataDir, LOCK_FILE)), `the server ended with ${how}:\n${output}`).toBe(false);

      const after = await cli(["sweep"], env);
      expect(after, after.err).toEqual({ code: 0, out: "No tenant has retention rules.", err: "" });
      expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
    }, 300_000);
  });
});
