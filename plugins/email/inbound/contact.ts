import { createContact } from "../../../src/contacts/service.js";
import type { Contact } from "../../../src/generated/prisma/client.js";
import { LIMITS } from "../../../src/validation.js";
import type { EmailRuntime } from "../options.js";
import type { Address } from "./parse.js";

/** The contact with the sender's address (as contacts store it: lower case), or a new one named as the From header names them. */
export async function contactFor(runtime: EmailRuntime, from: Address): Promise<Contact> {
  const db = runtime.core.db;
  const existing = await db.contact.findFirst({ where: { email: from.address } });
  if (existing) return existing;
  const name = (from.name || from.address.split("@")[0]!).slice(0, LIMITS.name);
  try {
    return await createContact(runtime.core, { name, email: from.address });
  } catch (err) {
    // Two first mails from one address at once: the other one created the contact.
    const again = await db.contact.findFirst({ where: { email: from.address } });
    if (again) return again;
    throw err;
  }
}
