import type { Permission } from "../auth/permissions.js";

/**
 * The one rule for internal notes: they exist only for callers with
 * `notes:read` (agents, keys with NOTES_READ; never a portal contact), and
 * everything hanging off a note (its attachments, its event) is seen exactly
 * when the note is. Every path asks here instead of repeating the condition.
 */
export const NOTES_READ: Permission = "notes:read";

type Caller = { can(permission: Permission): boolean };

export const mayReadNotes = (caller: Caller) => caller.can(NOTES_READ);

/** A Prisma `where` on Message: the messages this caller may see. */
export const visibleMessages = (caller: Caller) => (mayReadNotes(caller) ? {} : { internal: false });

/** A Prisma `where` on Attachment: a file is seen exactly when its message is (an upload not yet on a message by nobody). */
export const visibleAttachments = (caller: Caller) =>
  mayReadNotes(caller) ? { messageId: { not: null } } : { message: visibleMessages(caller) };

/** For a row already loaded (a message, an event announcing one). */
export const isVisible = (caller: Caller, row: { internal: boolean }) => !row.internal || mayReadNotes(caller);
