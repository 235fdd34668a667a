import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { TestApp } from "./app.js";

const clients: Client[] = [];

/**
 * Subscribes to ticketEvents(filter: { types: [TICKET_CREATED] }) over a WebSocket with `selection`
 * after `seq`; returns the list that every result (or error) is pushed to as it arrives.
 */
export function ticketCreatedEvents(app: TestApp, credential: string, selection: string): any[] {
  const client = createClient({
    url: app.url.replace("http://", "ws://"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${credential}` },
    retryAttempts: 0,
  });
  clients.push(client);
  const received: any[] = [];
  // From the tenant's first event on, so that no event is missed while the stream starts.
  const variables = { after: Buffer.from("event:0").toString("base64url") };
  const query = `subscription($after: String) { ticketEvents(after: $after, filter: { types: [TICKET_CREATED] }) { seq ${selection} } }`;
  client.subscribe({ query, variables }, { next: (r) => received.push(r), error: (e) => received.push(e), complete: () => {} });
  return received;
}

/** Closes every subscriber ticketCreatedEvents opened. */
export async function closeSubscribers(): Promise<void> {
  for (const c of clients.splice(0)) await c.dispose();
}
