import { ERASED_NAME } from "../../constants.js";
import { candidateFilter } from "../requests/identifiers.js";
import { afterId, countMatches, SCAN_BATCH } from "../requests/scan-count.js";
import type { PersonalDataStore } from "./store.js";

/** The data subject: who they are and how to reach them. Erasure keeps the row as an anonymous shell. */
export const contactStore: PersonalDataStore = {
  model: "Contact",
  categories: ["user.name", "user.contact.email", "user.contact.phone", "user.preference.locale", "user.organization", "user.consent"],
  columns: {
    name: { erasedBy: "Contact", scannedAs: "Contact" },
    email: { erasedBy: "Contact", scannedAs: "Contact" },
    phone: { erasedBy: "Contact", scannedAs: "Contact" },
    locale: { erasedBy: "Contact", notScanned: "a language code, not an identifier" },
    organizationId: { erasedBy: "Contact", notScanned: "an id" },
    restrictionReason: { erasedBy: "Contact", notScanned: "removed with the shell; written by staff about the restriction" },
  },
  rowsOf: (contactId) => ({ id: contactId }),
  subject: { graphqlType: "Contact", columns: ["id"], of: (c) => c.id as string },
  portal: (contactId) => ({ id: contactId }),
  export: {
    key: "profile",
    about: "Who you are to us: name, contact details, language, organisation",
    counts: [],
    async write({ db, contactId, out }) {
      const contact = await db.contact.findUniqueOrThrow({
        where: { id: contactId },
        include: { organization: { select: { name: true } } },
      });
      await out.value("profile", {
        id: contact.id,
        name: contact.name,
        email: contact.email,
        phone: contact.phone,
        locale: contact.locale,
        organization: contact.organization?.name ?? null,
        createdAt: contact.createdAt,
        updatedAt: contact.updatedAt,
        restrictedAt: contact.restrictedAt,
        restrictionReason: contact.restrictionReason,
      });
    },
  },
  erasure: {
    lines: [{ store: "Contact", action: "anonymised: name replaced, email, phone, locale and organisation removed", countsAs: "contacts" }],
    steps: [],
    // Last, in one commit: until then the row still holds the identifiers, so an erasure that stops half-way can be run again.
    async final(tx, e) {
      if (e.erasedBefore) return { Contact: 0 };
      await tx.contact.update({
        where: { id: e.contactId },
        data: {
          name: ERASED_NAME,
          email: null,
          phone: null,
          locale: null,
          organizationId: null,
          restrictedAt: null,
          restrictionReason: null,
          erasedAt: e.now,
        },
      });
      return { Contact: 1 };
    },
  },
  scan: [
    {
      store: "Contact",
      count: (s) =>
        countMatches(s.matcher, async (after) =>
          (
            await s.db.contact.findMany({
              orderBy: { id: "asc" },
              take: SCAN_BATCH,
              // Contacts hold the email and phone as stored (normalised, E.164): a substring finds them.
              where: {
                AND: [
                  afterId(after),
                  { OR: [candidateFilter("name", s.ids), candidateFilter("email", s.ids), candidateFilter("phone", s.ids)] },
                ],
              },
              select: { id: true, name: true, email: true, phone: true },
            })
          ).map((c) => ({
            id: c.id,
            // After an erasure, another contact with the same name is a namesake, not a leftover: only their email and phone count.
            text: [s.nameOnlyOn && c.id !== s.nameOnlyOn ? null : c.name, c.email, c.phone].filter(Boolean).join("\n"),
          })),
        ).then((matches) => ({ matches })),
    },
  ],
  retention: { target: "INACTIVE_CONTACTS" },
};
