import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * For tests: an HTTP server on 127.0.0.1 answering like Stripe's documented
 * API (version 2025-10-29.clover) for the endpoints billing uses, so that the
 * official SDK runs for real without the network. It records every request
 * with its Idempotency-Key and, like Stripe, answers a POST repeated with the
 * same key with the first answer, without doing anything again.
 *   POST /v1/customers, /v1/customers/{id}, /v1/customers/{id}/tax_ids
 *   POST /v1/checkout/sessions, /v1/billing_portal/sessions
 *   GET  /v1/subscriptions/{id}, /v1/subscriptions?customer=&status=all
 *   POST /v1/subscriptions/{id}   DELETE /v1/subscriptions/{id}
 *   GET  /v1/invoices?customer=&limit=&starting_after=
 * A wrong secret key → 401; an unknown object → 404 resource_missing.
 */
interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  form: Record<string, any>;
}

type Obj = Record<string, any>;

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;
const now = () => Math.floor(Date.now() / 1000);

/** Stripe's form encoding (a[b][0][c]=v) back into objects and arrays. */
function parseForm(raw: string): Obj {
  const out: Obj = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const parts = key.replace(/\]/g, "").split("[");
    let node: any = out;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(parts[i + 1]!);
      const k: string | number = Array.isArray(node) ? Number(part) : part;
      if (last) node[k] = value;
      else node = node[k] ??= nextIsIndex ? [] : {};
    });
  }
  return out;
}

export async function startStripeApi(secretKey: string) {
  const received: RecordedRequest[] = [];
  const customers = new Map<string, Obj>();
  const sessions = new Map<string, Obj>();
  const subscriptions = new Map<string, Obj>();
  const invoices: Obj[] = [];
  const answered = new Map<string, { status: number; body: unknown }>();
  const failures: { path: RegExp; status: number; error: Obj }[] = [];

  const subscriptionOf = (customer: string, priceId: string, quantity: number, metadata: Obj, status: string): Obj => {
    const start = now();
    return {
      id: id("sub"),
      object: "subscription",
      customer,
      status,
      cancel_at_period_end: false,
      canceled_at: null,
      created: start,
      metadata,
      items: {
        object: "list",
        data: [
          {
            id: id("si"),
            object: "subscription_item",
            price: { id: priceId, object: "price" },
            quantity,
            current_period_start: start,
            current_period_end: start + 30 * 86400,
          },
        ],
        has_more: false,
      },
      livemode: false,
    };
  };

  function route(method: string, path: string, query: URLSearchParams, form: Obj): [number, unknown] {
    let m: RegExpExecArray | null;
    if (method === "POST" && path === "/v1/customers") {
      const c = {
        id: id("cus"),
        object: "customer",
        name: form.name,
        email: form.email ?? null,
        address: form.address ?? null,
        metadata: form.metadata ?? {},
        tax_ids: form.tax_id_data ?? [],
        created: now(),
        livemode: false,
      };
      customers.set(c.id, c);
      return [200, c];
    }
    if ((m = /^\/v1\/customers\/(cus_\w+)\/tax_ids$/.exec(path)) && method === "POST") {
      const c = customers.get(m[1]!);
      if (!c) return missing("customer", m[1]!);
      const tax = { id: id("txi"), object: "tax_id", type: form.type, value: form.value, customer: c.id };
      c.tax_ids.push(tax);
      return [200, tax];
    }
    if ((m = /^\/v1\/customers\/(cus_\w+)$/.exec(path)) && method === "POST") {
      const c = customers.get(m[1]!);
      if (!c) return missing("customer", m[1]!);
      Object.assign(c, form);
      return [200, c];
    }
    if (method === "POST" && path === "/v1/checkout/sessions") {
      if (!customers.has(form.customer)) return missing("customer", form.customer);
      const s = {
        id: id("cs_test"),
        object: "checkout.session",
        mode: form.mode,
        customer: form.customer,
        client_reference_id: form.client_reference_id ?? null,
        metadata: form.metadata ?? {},
        status: "open",
        payment_status: "unpaid",
        subscription: null,
        success_url: form.success_url,
        cancel_url: form.cancel_url,
        automatic_tax: { enabled: form.automatic_tax?.enabled === "true", status: null },
        line_items_requested: form.line_items,
        subscription_data: form.subscription_data ?? {},
        url: "",
        created: now(),
        livemode: false,
      };
      s.url = `https://checkout.stripe.com/c/pay/${s.id}`;
      sessions.set(s.id, s);
      return [200, s];
    }
    if (method === "POST" && path === "/v1/billing_portal/sessions") {
      if (!customers.has(form.customer)) return missing("customer", form.customer);
      const p = {
        id: id("bps"),
        object: "billing_portal.session",
        customer: form.customer,
        return_url: form.return_url,
        url: `https://billing.stripe.com/p/session/${id("test")}`,
        created: now(),
        livemode: false,
      };
      return [200, p];
    }
    if (path === "/v1/subscriptions" && method === "GET") {
      const data = [...subscriptions.values()].filter(
        (s) => s.customer === query.get("customer") && (query.get("status") === "all" || s.status !== "canceled"),
      );
      return [200, { object: "list", url: "/v1/subscriptions", has_more: false, data }];
    }
    if ((m = /^\/v1\/subscriptions\/(sub_\w+)$/.exec(path))) {
      const s = subscriptions.get(m[1]!);
      if (!s) return missing("subscription", m[1]!);
      if (method === "GET") return [200, s];
      if (s.status === "canceled")
        return [
          400,
          {
            error: {
              type: "invalid_request_error",
              code: "resource_missing",
              message: "A canceled subscription can only update its cancellation_details and metadata.",
            },
          },
        ];
      if (method === "DELETE") {
        Object.assign(s, { status: "canceled", canceled_at: now() });
        return [200, s];
      }
      for (const item of form.items ?? []) {
        const it = s.items.data.find((x: Obj) => x.id === item.id);
        if (!it) return missing("subscription_item", item.id);
        if (item.quantity) it.quantity = Number(item.quantity);
      }
      if (form.cancel_at_period_end !== undefined) s.cancel_at_period_end = form.cancel_at_period_end === "true";
      return [200, s];
    }
    if (path === "/v1/invoices" && method === "GET") {
      const all = invoices.filter((i) => i.customer === query.get("customer")).sort((a, b) => b.created - a.created);
      const after = query.get("starting_after");
      const from = after ? all.findIndex((i) => i.id === after) + 1 : 0;
      const limit = Number(query.get("limit") ?? 10);
      return [200, { object: "list", url: "/v1/invoices", data: all.slice(from, from + limit), has_more: from + limit < all.length }];
    }
    return [404, { error: { type: "invalid_request_error", message: `Unrecognized request URL (${method}: ${path}).` } }];
  }

  const missing = (what: string, which: string): [number, unknown] => [
    404,
    { error: { type: "invalid_request_error", code: "resource_missing", param: "id", message: `No such ${what}: '${which}'` } },
  ];

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const url = new URL(req.url ?? "/", "http://stand-in");
    const method = req.method ?? "GET";
    const key = req.headers["idempotency-key"] as string | undefined;
    const form = method === "GET" ? parseForm(url.search.slice(1)) : parseForm(raw);
    received.push({ method, path: url.pathname, idempotencyKey: key, form });
    if (req.headers.authorization !== `Bearer ${secretKey}`) {
      return json(res, 401, { error: { type: "invalid_request_error", message: "Invalid API Key provided" } });
    }
    const replay = key && method !== "GET" ? answered.get(`${method} ${key}`) : undefined;
    if (replay) return json(res, replay.status, replay.body, { "idempotent-replayed": "true" });
    const failure = failures.findIndex((f) => f.path.test(`${method} ${url.pathname}`));
    if (failure >= 0) {
      const f = failures.splice(failure, 1)[0]!;
      // Stripe does not save the result of a request that failed with a 5xx: a retry runs it again.
      if (key && f.status < 500) answered.set(`${method} ${key}`, { status: f.status, body: { error: f.error } });
      return json(res, f.status, { error: f.error });
    }
    const [status, body] = route(method, url.pathname, url.searchParams, form);
    if (key && method !== "GET") answered.set(`${method} ${key}`, { status, body: JSON.parse(JSON.stringify(body)) });
    json(res, status, body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    customers,
    sessions,
    subscriptions,
    /** The next request matching `METHOD /path` gets this error, as Stripe would send it. */
    failNext(path: RegExp, status: number, error: Obj) {
      failures.push({ path, status, error });
    },
    /** The customer pays on the Checkout page: the session completes and the subscription exists. */
    completeCheckout(sessionId: string, status = "active") {
      const s = sessions.get(sessionId)!;
      const item = s.line_items_requested[0];
      const sub = subscriptionOf(s.customer, item.price, Number(item.quantity), s.subscription_data.metadata ?? {}, status);
      subscriptions.set(sub.id, sub);
      Object.assign(s, { status: "complete", payment_status: "paid", subscription: sub.id });
      return { session: s, subscription: sub };
    },
    /** An invoice Stripe issued. */
    addInvoice(customer: string, subscription: string | null, fields: Obj = {}): Obj {
      const inv = {
        id: id("in"),
        object: "invoice",
        customer,
        number: `DG-${String(invoices.length + 1).padStart(4, "0")}`,
        total: 4500,
        currency: "eur",
        status: "paid",
        invoice_pdf: `https://pay.stripe.com/invoice/${id("acct")}/pdf`,
        created: now() + invoices.length,
        parent: subscription
          ? { type: "subscription_details", subscription_details: { subscription, metadata: {} }, quote_details: null }
          : null,
        livemode: false,
        ...fields,
      };
      invoices.push(inv);
      return inv;
    },
    /** An event as Stripe sends it to webhook endpoints. */
    event(type: string, object: Obj, created = now()): Obj {
      return {
        id: id("evt"),
        object: "event",
        api_version: "2025-10-29.clover",
        created,
        data: { object: JSON.parse(JSON.stringify(object)) },
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type,
      };
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", "request-id": id("req"), ...headers }).end(JSON.stringify(body));
}
