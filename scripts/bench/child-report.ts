// The side of a server under test that runs in its own process (started by
// child.ts): it says where it listens, answers for the CPU time and the SQL
// statements it has used so far, answers the questions its server takes (e.g.
// readings from a database only it holds), and closes when asked.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { performance, PerformanceObserver } from "node:perf_hooks";

export interface ChildReady<Extra = unknown> {
  type: "ready";
  url: string;
  /** Whatever else the parent needs from this server, e.g. the credentials it seeded. */
  extra: Extra;
}

export interface ChildStats {
  type: "stats";
  /** User + system CPU time of this whole process (every thread), in microseconds. */
  cpuMicros: number;
  /** SQL statements sent since the process started, by requests. */
  statements: number;
  /** SQL statements sent since the process started by the work that follows requests (0 for servers without any). */
  backgroundStatements: number;
  /** The garbage collector's pauses of the main thread since the server was ready: how many, and their milliseconds. */
  gcPauses: number;
  gcMillis: number;
  /** How long the main thread's event loop has been busy since the process started, in milliseconds (not waiting for I/O or timers). */
  loopBusyMillis: number;
}

/** The answer to an `ask`: what the server's `answer` returned, or why it threw. */
export type ChildAnswer = { type: "answer"; answer: unknown } | { type: "answer"; error: string };

export type ChildCommand = { type: "stats" } | { type: "ask"; question: unknown } | { type: "close" };

export interface ServedByChild {
  url: string;
  statements(): number;
  /** Statements of the server's background work (its sequencer, event consumers, workers), when it has any. */
  backgroundStatements?(): number;
  /** Answers the parent's questions beyond CPU time and statements; without it, every question is an error. */
  answer?(question: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/** The JSON the parent passed as the first argument. */
export const childSpec = <T>(): T => JSON.parse(process.argv[2] ?? "{}") as T;

export function reportReady<Extra>(server: ServedByChild, extra: Extra) {
  const send = (message: ChildReady<Extra> | ChildStats | ChildAnswer) => process.send!(message);
  // Each pause stops the event loop, every request in flight with it (a quiet tenant's tail, for one).
  const gc = { pauses: 0, millis: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.pauses++;
      gc.millis += entry.duration;
    }
  }).observe({ entryTypes: ["gc"] });
  process.on("message", async (command: ChildCommand) => {
    if (command.type === "stats") {
      const { user, system } = process.cpuUsage();
      send({
        type: "stats",
        cpuMicros: user + system,
        statements: server.statements(),
        backgroundStatements: server.backgroundStatements?.() ?? 0,
        gcPauses: gc.pauses,
        gcMillis: gc.millis,
        loopBusyMillis: performance.eventLoopUtilization().active,
      });
    } else if (command.type === "ask") {
      try {
        if (!server.answer) throw new Error("this server takes no questions");
        send({ type: "answer", answer: await server.answer(command.question) });
      } catch (err) {
        send({ type: "answer", error: (err as Error).message || String(err) });
      }
    } else if (command.type === "close") {
      await server.close();
      process.exit(0);
    }
  });
  // The parent gone (killed, crashed) closes the channel: a server under test must not outlive it.
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", url: server.url, extra });
}

/**
 * For a plain node:http server: listens on 127.0.0.1 and an ephemeral port,
 * then reports ready with the URL of `path`. Closing drops open connections
 * (load generators leave keep-alive sockets behind) and then calls `release`.
 */
export async function listenAndReport(server: Server, path: string, statements: () => number, release: () => Promise<void>) {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  reportReady(
    {
      url: `http://127.0.0.1:${port}${path}`,
      statements,
      async close() {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await release();
      },
    },
    null,
  );
}
