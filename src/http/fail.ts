import type { ServerResponse } from "node:http";

/** An error answer of a route outside GraphQL: a stable code and a message, as JSON. */
export function fail(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify({ code, message }));
}
