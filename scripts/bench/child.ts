// Starts a server under test in a process of its own (node + tsx), so that the
// CPU time it uses can be told apart from the load generator's and from other
// servers'. The child reports through child-report.ts over the IPC channel.
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ChildAnswer, ChildCommand, ChildReady, ChildStats } from "./child-report.js";

export interface ServerChild<Extra> {
  name: string;
  url: string;
  extra: Extra;
  stats(): Promise<ChildStats>;
  /** Asks the server's own `answer` (child-report.ts), one question at a time; its error is thrown here. */
  ask<T>(question: unknown, ms?: number): Promise<T>;
  /** Asks the child to close, and kills it if it has not exited within 10 s. */
  close(): Promise<void>;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * `npm run build`, which deskgraph-server.ts runs the server from (as `npm
 * start` does); it compiles only what changed since the last build.
 */
export function buildServer(): void {
  console.log("Building the server (npm run build)…");
  execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
}

/** The next message of a type from the child; rejects when it exits or stays silent. */
function next<T extends { type: string }>(child: ChildProcess, type: T["type"], ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    const onMessage = (m: { type?: string }) => {
      if (m?.type !== type) return;
      done();
      resolve(m as T);
    };
    const onExit = (code: number | null, signal: string | null) => {
      done();
      reject(new Error(`${what}: the process exited (${signal ?? `code ${code}`})`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what}: no answer within ${ms / 1000}s`));
    }, ms);
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

const exited = (child: ChildProcess, ms: number) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(true)
    : new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve(true);
        });
      });

/**
 * Forks `file` (relative to scripts/bench/) with its spec as JSON in argv[2],
 * and waits for it to listen. Its clean-up is registered before it starts, so
 * it is killed however the bench ends.
 */
export async function startServerChild<Extra>(
  name: string,
  file: string,
  spec: unknown,
  cleanups: (() => Promise<void>)[],
  startMs = 180_000,
): Promise<ServerChild<Extra>> {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [JSON.stringify(spec)], {
    cwd: ROOT,
    // BENCH_CPU_PROF=<dir>: each server writes a V8 CPU profile there when it closes (open it in Chrome's DevTools).
    // --max-semi-space-size as `npm start` and the Dockerfile run Deskgraph, for every server alike.
    execArgv: [
      "--import",
      "tsx",
      "--max-semi-space-size=32",
      ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    // Every server's libraries run as they are deployed (the Dockerfile sets it too): graphql-js,
    // for one, checks every value's realm outside production. A server's own settings are its spec's.
    env: { ...process.env, NODE_ENV: "production" },
  });
  const send = (command: ChildCommand) => child.connected && child.send(command);
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      send({ type: "close" });
      if (!(await exited(child, 10_000))) {
        child.kill("SIGKILL");
        await exited(child, 5_000);
      }
    })());
  cleanups.push(close);

  const ready = await next<ChildReady<Extra>>(child, "ready", startMs, `${name} start`);
  return {
    name,
    url: ready.url,
    extra: ready.extra,
    async stats() {
      const answer = next<ChildStats>(child, "stats", 10_000, `${name} stats`);
      send({ type: "stats" });
      return answer;
    },
    async ask<T>(question: unknown, ms = 60_000) {
      const reply = next<ChildAnswer>(child, "answer", ms, `${name} answer`);
      send({ type: "ask", question });
      const answered = await reply;
      if ("error" in answered) throw new Error(`${name}: ${answered.error}`);
      return answered.answer as T;
    },
    close,
  };
}
