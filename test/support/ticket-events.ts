import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { TestApp } from "./app.js";

const clients: Client[] = [];

/**
 * Runs a subscription `query` (with an `$after: String` variable) over a WebSocket from the
 * tenant's first event on, so that no event is missed while the stream starts. Every result
 * (or error) is pushed to `received` as it arrives; disposing `client` ends the subscription.
 */
export function subscribeFromStart(app: TestApp, credential: string, query: string): { client: Client; received: any[] } {
  const client = createClient({
    url: app.url.replace("http://", "ws://"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${credential}` },
    retryAttempts: 0,
  });
  clients.push(client);
  const received: any[] = [];
  const variables = { after: Buffer.from("event:0").toString("base64url") };
  client.subscribe({ query, variables }, { next: (r) => received.push(r), error: (e) => received.push(e), complete: () => {} });
  return { client, received };
}

/** ticketEvents(filter: { types: [TICKET_CREATED] }) with `selection` after `seq`, from the first event on. */
export function ticketCreatedEvents(app: TestApp, credential: string, selection: string): any[] {
  const query = `subscription($after: String) { ticketEvents(after: $after, filter: { types: [TICKET_CREATED] }) { seq ${selection} } }`;
  return subscribeFromStart(app, credential, query).received;
}

/** Closes every subscriber opened here. */
export async function closeSubscribers(): Promise<void> {
  for (const c of clients.splice(0)) await c.dispose();
}
