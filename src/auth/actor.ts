import type { ActorType } from "../generated/prisma/enums.js";
import type { Context } from "../context.js";

/** Who is acting, as audit entries and consent records name them: by id only. */
export function actorOf(ctx: Context): { type: ActorType; id: string | null } {
  const v = ctx.viewer;
  if (!v) return { type: "SYSTEM", id: null };
  if (v.kind === "agent") return { type: "AGENT", id: v.agentId };
  if (v.kind === "apiKey") return { type: "API_KEY", id: v.apiKeyId };
  if (v.kind === "system") return { type: "SYSTEM", id: `plugin:${v.pluginId}` };
  return { type: "CONTACT", id: v.contactId };
}
