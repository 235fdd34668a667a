import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "./free-port.js";

/**
 * A private clamd (Debian's clamav-daemon) for a test file: its own directory,
 * TCP port and local socket, and a signature database made here, since no
 * signatures can be downloaded: one line matching the EICAR test file by its
 * MD5 and size (recipe: /work/shared/recipes/README.md). clamd reports it as
 * Test.EICAR.Custom.UNOFFICIAL.
 */

/** The EICAR anti-virus test file (68 bytes): harmless, and found by every scanner. */
export const EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
export const EICAR_SIGNATURE = "Test.EICAR.Custom.UNOFFICIAL";

export interface Clamd {
  port: number;
  socket: string;
  /** clamd's StreamMaxLength, in bytes. */
  streamMaxBytes: number;
  stop(): Promise<void>;
}

/** Loading a signature database takes clamd 5–8 s on a quiet machine; more on a busy one. */
const READY_WITHIN_MS = 120_000;

function clamdBinary(): string | null {
  for (const dir of [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/local/sbin"]) {
    const file = path.join(dir, "clamd");
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return null;
}

async function startClamd(opts: { streamMaxBytes?: number } = {}): Promise<Clamd> {
  const binary = clamdBinary();
  if (!binary) throw new Error("clamd is not installed (Debian package clamav-daemon)");
  const dir = mkdtempSync(path.join(os.tmpdir(), "deskgraph-clamd-"));
  const streamMaxBytes = opts.streamMaxBytes ?? 1024 * 1024;
  const db = path.join(dir, "db");
  mkdirSync(db);
  const md5 = createHash("md5").update(EICAR).digest("hex");
  writeFileSync(path.join(db, "test.hdb"), `${md5}:${Buffer.byteLength(EICAR)}:Test.EICAR.Custom\n`);
  const port = await freePort();
  const socket = path.join(dir, "clamd.sock");
  const log = path.join(dir, "clamd.log");
  writeFileSync(
    path.join(dir, "clamd.conf"),
    [
      `DatabaseDirectory ${db}`,
      `TCPSocket ${port}`,
      "TCPAddr 127.0.0.1",
      `LocalSocket ${socket}`,
      "Foreground yes",
      `LogFile ${log}`,
      `PidFile ${path.join(dir, "clamd.pid")}`,
      "User root",
      `StreamMaxLength ${streamMaxBytes}`,
      "",
    ].join("\n"),
  );
  const child = spawn(binary, ["-c", path.join(dir, "clamd.conf")], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = async () => {
    await kill(child, exited);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + READY_WITHIN_MS;
  while ((await ping(port)) !== "PONG") {
    const gone = child.exitCode !== null || child.signalCode !== null;
    if (gone || Date.now() > deadline) {
      const tail = `${output}\n${safeRead(log)}`.trim().split("\n").slice(-8).join("\n");
      await stop();
      throw new Error(`clamd ${gone ? "exited" : `did not answer PING within ${READY_WITHIN_MS / 1000} s`}:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { port, socket, streamMaxBytes, stop };
}

/**
 * clamd for a test file, or null after a loud warning saying why: a machine
 * without clamav-daemon skips the tests that need it, and says so.
 */
export async function clamdOrWarn(file: string, opts?: { streamMaxBytes?: number }): Promise<Clamd | null> {
  try {
    return await startClamd(opts);
  } catch (err) {
    console.warn(
      `\n⚠ ${file}: SKIPPED, clamd could not be started: ${(err as Error).message}\n  Install it with: apt-get install -y clamav-daemon\n`,
    );
    return null;
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

async function kill(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** clamd's answer to zPING, or null while it does not accept connections. */
function ping(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    let reply = "";
    s.setTimeout(2000, () => s.destroy());
    s.on("connect", () => s.write("zPING\0"));
    s.on("data", (d) => (reply += d));
    s.on("error", () => resolve(null));
    s.on("close", () => resolve(reply ? reply.replace(/\0$/, "") : null));
  });
}

/**
 * A TCP relay in front of clamd that a test can take down and bring back:
 * down, connections are refused as if clamd had stopped; up, they reach clamd
 * again on the same port. (Restarting clamd itself takes its 5–8 s of loading.)
 */
export interface Relay {
  port: number;
  up(): Promise<void>;
  down(): Promise<void>;
  close(): Promise<void>;
}

export async function relayTo(port: number): Promise<Relay> {
  const own = await freePort();
  const open = new Set<Socket>();
  let server: Server | null = null;
  const up = async () => {
    if (server) return;
    server = createServer((client) => {
      const upstream = connect({ host: "127.0.0.1", port });
      for (const s of [client, upstream]) {
        open.add(s);
        s.on("close", () => open.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(own, "127.0.0.1", resolve));
  };
  const down = async () => {
    const s = server;
    server = null;
    for (const c of open) c.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await up();
  return { port: own, up, down, close: down };
}
