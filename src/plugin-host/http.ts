import type { IncomingMessage, ServerResponse } from "node:http";
import type { ContextInput } from "../context.js";
import { runtimeFor } from "./runtime.js";

type Services = Pick<ContextInput, "config" | "database" | "log" | "signInLimiter" | "plugins" | "realtime" | "tracing">;

const MAX_BODY = 1024 * 1024;

/**
 * Vendor webhooks: /plugins/<plugin-id>/<tenant-slug>/<path>. A plugin that
 * is unknown or not enabled in that tenant answers 404, like a missing page.
 */
export async function handlePluginHttp(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://local");
  const [, , pluginId, slug, ...rest] = url.pathname.split("/");
  const def = pluginId ? services.plugins.registry.get(pluginId) : undefined;
  const tenant = def && slug ? await services.database.prisma.tenant.findUnique({ where: { slug } }) : null;
  const runtime = def && tenant && def.handleHttp ? await runtimeFor(services, tenant.id, def) : null;
  if (!def?.handleHttp || !runtime) return send(res, 404, "application/json", JSON.stringify({ code: "NOT_FOUND" }));

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return send(res, 413, "application/json", JSON.stringify({ code: "PAYLOAD_TOO_LARGE" }));
    chunks.push(chunk as Buffer);
  }
  // Vendors sign the URL they called; behind a proxy, PUBLIC_URL says what that was.
  const base = services.config.publicUrl ?? `http://${req.headers.host}`;
  try {
    const out = await def.handleHttp(runtime, {
      method: req.method ?? "GET",
      path: rest.join("/"),
      url: `${base}${req.url}`,
      headers: req.headers,
      rawBody: Buffer.concat(chunks).toString("utf8"),
    });
    send(res, out.status, out.contentType ?? "text/plain", out.body ?? "");
    // A webhook may have committed events (an inbound SMS): have them numbered now.
    services.database.appended(runtime.tenantId);
  } catch (err) {
    runtime.log.error({ err }, "plugin webhook failed");
    send(res, 500, "application/json", JSON.stringify({ code: "INTERNAL_SERVER_ERROR" }));
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType });
  res.end(body);
}
