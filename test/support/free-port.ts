import { createConnection, createServer } from "node:net";
import { until } from "./webhooks.js";

/** A TCP port on 127.0.0.1 that nothing listens on right now, for a server a test starts itself. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something accepts connections on 127.0.0.1:`port`; throws after `ms`. */
export function untilListening(port: number, what: string, ms = 10_000): Promise<void> {
  return until(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = createConnection({ host: "127.0.0.1", port });
        socket.once("connect", () => {
          resolve(true);
          socket.destroy();
        });
        // Settles every attempt: a refused one errors, and one cut off below only closes. Without
        // "close", an attempt still pending when its timer fires (a busy event loop) never resolved
        // and the wait hung until the hook's timeout instead of trying again.
        socket.once("error", () => resolve(false));
        socket.once("close", () => resolve(false));
        socket.unref();
        setTimeout(() => socket.destroy(), 250);
      }),
    ms,
    what,
  );
}
