import type { Server, ServerResponse } from "node:http";

/**
 * Waits for the requests under way to finish, for at most `graceMs`, then
 * cuts off the connections left. The server has stopped listening before:
 * connections that fall idle are closed as they do. Resolves with the number
 * of requests that were cut off.
 */
export function drainRequests(http: Server, inFlight: Set<ServerResponse>, graceMs: number): Promise<number> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (cut: number) => {
      clearTimeout(timer);
      for (const res of inFlight) res.off("close", check);
      http.closeAllConnections();
      resolve(cut);
    };
    function check() {
      // Once the response is written its connection falls idle, a moment later: close it then.
      setImmediate(() => {
        http.closeIdleConnections();
        if (inFlight.size === 0) finish(0);
      });
    }
    if (inFlight.size === 0) return finish(0);
    for (const res of inFlight) res.once("close", check);
    timer = setTimeout(() => finish(inFlight.size), graceMs);
  });
}
