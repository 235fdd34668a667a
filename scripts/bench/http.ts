// GraphQL over HTTP for a bench's set-up and checks (not for load: see load.ts).

/** Posts a GraphQL body; anything but HTTP 200 without `errors` throws, with the reason. */
export async function post(url: string, token: string | null, body: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const json = (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
  if (res.status !== 200 || json.errors) {
    throw new Error(`HTTP ${res.status}: ${JSON.stringify(json.errors ?? json).slice(0, 500)}`);
  }
  return json.data;
}

/** Global IDs of up to 20 contacts, for createTicket to rotate through as requesters. */
export async function requesterIds(url: string, token: string): Promise<string[]> {
  const data = await post(url, token, JSON.stringify({ query: "{ contacts(first: 20) { edges { node { id } } } }" }));
  return data.contacts.edges.map((e: { node: { id: string } }) => e.node.id);
}

/** Global IDs of up to 100 tickets still open (new, open or pending), for updateTicket to rotate through. */
export async function openTicketIds(url: string, token: string): Promise<string[]> {
  const query = "{ tickets(first: 100, filter: { status: [NEW, OPEN, PENDING] }) { edges { node { id } } } }";
  const data = await post(url, token, JSON.stringify({ query }));
  return data.tickets.edges.map((e: { node: { id: string } }) => e.node.id);
}

/** One GraphQL operation; its data, or an error carrying the first errors. */
export async function gql(url: string, token: string | null, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 500));
  return body.data;
}
