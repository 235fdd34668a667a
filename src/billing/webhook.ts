import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Database } from "../db/database.js";
import type { BillingHost } from "./host.js";
import { applyEvent } from "./events.js";
import { WebhookSignatureError } from "./provider.js";

const MAX_BODY = 512 * 1024;

/** The path to register in the Stripe dashboard, under PUBLIC_URL. */
export const BILLING_WEBHOOK_PATH = "/billing/stripe/webhook";

/**
 * POST /billing/stripe/webhook. The raw body is checked against the
 * Stripe-Signature header before anything is read or stored: a missing, wrong
 * or too old signature is 400 and nothing is kept. A verified event is
 * applied (200, also for a redelivery or an event we do not act on); a failure
 * answers 500 so that Stripe delivers it again: no payment event is lost.
 */
export async function handleBillingWebhook(
  services: { database: Database; log: Logger; plugins: { billing?: BillingHost } },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const host = services.plugins.billing;
  if (!host) return send(res, 404, { code: "NOT_FOUND" });
  if (req.method !== "POST") return send(res, 405, { code: "METHOD_NOT_ALLOWED" });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return send(res, 413, { code: "PAYLOAD_TOO_LARGE" });
    chunks.push(chunk as Buffer);
  }
  const header = req.headers["stripe-signature"];
  let event;
  try {
    event = host.provider.parseWebhook(Buffer.concat(chunks), Array.isArray(header) ? header[0] : header);
  } catch (err) {
    if (!(err instanceof WebhookSignatureError)) throw err;
    services.log.warn({ reason: err.message }, "Stripe webhook refused: signature");
    return send(res, 400, { code: "BAD_SIGNATURE" });
  }
  const log = services.log.child({ stripeEvent: event.id, type: event.providerType });
  try {
    const outcome = await applyEvent({ host, database: services.database, log }, event);
    log.info({ outcome }, "billing event");
    send(res, 200, { received: true, outcome });
  } catch (err) {
    log.error({ err }, "billing event failed; Stripe will deliver it again");
    send(res, 500, { code: "INTERNAL_SERVER_ERROR" });
  }
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
