/** Values that mean the same thing wherever they appear. */

/** A UUID as the database writes it (any version), the shape of every row id. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The nil UUID: an id no row has. A filter on it matches nothing, which is how a
 * scope with nobody in it (no tenant, no contact, no agent) is written.
 */
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/** What erased or withheld personal data is replaced with, in rows, receipts and logs. */
export const REDACTED = "[redacted]";

export const DAY_MS = 86_400_000;

/** The name an erased contact's anonymous shell keeps. */
export const ERASED_NAME = "Erased contact";
