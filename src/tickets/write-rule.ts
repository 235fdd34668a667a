import type { Context } from "../context.js";
import { requireViewer } from "../context.js";
import { forbidden } from "../errors.js";

/**
 * Who may write on a ticket, and so upload a file for what they write: a
 * public reply needs tickets:write, an internal note notes:write, and a
 * contact on the portal writes on their own tickets (the scope of their
 * database client), never a note.
 */
export function assertMayWrite(ctx: Context, internal: boolean): void {
  const viewer = requireViewer(ctx);
  if (viewer.kind === "contact") {
    if (internal) throw forbidden("Internal notes are for the support team");
    return;
  }
  if (internal ? !ctx.can("notes:write") : !ctx.can("tickets:write")) {
    throw forbidden(internal ? "Adding internal notes needs notes:write" : "Replying needs tickets:write");
  }
}
