import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type ContextInput, createContext, type Context } from "../context.js";
import { submitSatisfaction } from "../csat/service.js";
import { verifyRequest } from "../privacy/requests/verify.js";
import { unsubscribe } from "./marketing.js";
import { AppError } from "../errors.js";

type Services = Pick<ContextInput, "config" | "database" | "log" | "signInLimiter" | "plugins" | "realtime" | "tracing" | "notifications">;

const MAX_BODY = 16 * 1024;
const PATH = /^\/links\/([a-z]+)\/([^/]+)$/;

/** What a link does when it is followed (POST); GET shows a page with a button for it. */
interface LinkAction {
  title: string;
  /** The form on the page GET shows (the token is in the URL). */
  form: string;
  run(ctx: Context, token: string, form: URLSearchParams): Promise<{ tenantId: string; message: string }>;
}

const ACTIONS: Partial<Record<string, LinkAction>> = {
  satisfaction: {
    title: "How did we do?",
    form: [1, 2, 3, 4, 5].map((n) => `<button name="rating" value="${n}">${"★".repeat(n)}</button>`).join(" "),
    async run(ctx, token, form) {
      const rating = Number(form.get("rating"));
      if (!Number.isInteger(rating) || rating < 1 || rating > 5) throw new AppError("VALIDATION", "Choose a rating from 1 to 5");
      const saved = await submitSatisfaction(ctx, { token, rating });
      return { tenantId: saved.tenantId, message: "Thank you for your rating." };
    },
  },
  verify: {
    title: "Confirm your request",
    form: `<p>Confirm that you made this request about your personal data.</p><button name="confirm" value="yes">Confirm</button>`,
    async run(ctx, token) {
      const { tenantId } = await verifyRequest(ctx, token);
      return { tenantId, message: "Thank you: your request is confirmed and will be handled." };
    },
  },
  // RFC 8058 one-click: a mail client POSTs List-Unsubscribe=One-Click here; a person gets the page and its button.
  unsubscribe: {
    title: "Unsubscribe",
    form: `<p>Stop receiving these emails.</p><button name="List-Unsubscribe" value="One-Click">Unsubscribe</button>`,
    async run(ctx, token) {
      const { tenantId } = await unsubscribe(ctx, token);
      return { tenantId, message: "You are unsubscribed: you will get no more of these emails." };
    },
  },
};

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

function html(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; form-action 'self'",
    "referrer-policy": "no-referrer",
  });
  res.end(page(title, body));
}

/**
 * Links in notifications: /links/<kind>/<token>, the token the credential (no
 * sign-in). GET only shows a page with a button, so that a mail scanner that
 * opens every link changes nothing; POST does it (RFC 8058 one-click
 * unsubscribe POSTs `List-Unsubscribe=One-Click` straight away).
 */
export async function handleLink(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://local");
  const m = PATH.exec(url.pathname);
  const action = m ? ACTIONS[m[1]!] : undefined;
  if (!m || !action) return html(res, 404, "Not found", "<p>This link does not exist.</p>");
  const token = decodeURIComponent(m[2]!);
  if (req.method === "GET" || req.method === "HEAD") {
    return html(res, 200, action.title, `<form method="post">${action.form}</form>`);
  }
  if (req.method !== "POST") return html(res, 405, "Not allowed", "<p>Use the button on the page.</p>");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return html(res, 413, "Too large", "<p>The form is too large.</p>");
    chunks.push(chunk as Buffer);
  }
  const requestId = randomUUID();
  const ctx = createContext({
    ...services,
    requestId,
    log: services.log.child({ requestId }),
    clientIp: req.socket.remoteAddress ?? "unknown",
    viewer: null,
  });
  try {
    const done = await action.run(ctx, token, new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
    // What it committed (events, audit entries) is numbered now.
    services.database.appended(done.tenantId);
    html(res, 200, action.title, `<p>${done.message}</p>`);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const status = err.code === "EXPIRED" ? 410 : err.code === "VALIDATION" || err.code === "NOT_FOUND" ? 400 : 409;
    html(res, status, action.title, `<p>${escapeHtml(err.message)}</p><p>Code: ${err.code}</p>`);
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
