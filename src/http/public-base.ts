import type { Context } from "../context.js";

/** Where clients reach this server, for links it hands out: PUBLIC_URL, else the origin they called (yoga puts the Request on the context). */
export function publicBase(ctx: Context): string {
  const request = (ctx as Context & { request?: Request }).request;
  return ctx.config.publicUrl ?? (request ? new URL(request.url).origin : `http://${ctx.config.host}:${ctx.config.port}`);
}
