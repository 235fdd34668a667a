import { defineManifest } from "../../src/plugin-host/manifest.js";
import type { EmailOptions } from "./options.js";

export const EMAIL = "email";

// The vendor is each tenant's own mail provider, wherever its servers are: why the location is
// "unknown" (ZZ), the transfer SCC and the retention the tenant's own: README.md, "What goes where".
// With the operator's Google or Microsoft client configured, tenants can connect mailboxes there:
// both are US companies whose data processing terms include the standard contractual clauses.
export const manifest = (options: EmailOptions) => {
  const oauth = [options.oauth.GOOGLE ? "Google LLC" : null, options.oauth.MICROSOFT ? "Microsoft Corporation" : null].filter(Boolean);
  return defineManifest({
    id: EMAIL,
    name: "Email (IMAP and SMTP)",
    version: "1.2.0",
    description:
      "Connect your support mailboxes: mail arriving in them becomes tickets, agents' replies leave from them with the conversation's threading. Disconnecting a mailbox deletes its credentials at once and its tickets after 30 days.",
    vendor: {
      legalName: `The tenant's own mail provider (each connected mailbox's IMAP and SMTP servers)${oauth.length ? `, including ${oauth.join(" and ")} for mailboxes connected with OAuth2` : ""}`,
      country: "ZZ",
    },
    processingLocations: oauth.length ? ["ZZ", "US"] : ["ZZ"],
    transferMechanism: "SCC",
    dataCategories: ["user.name", "user.contact.email", "user.content.message", "user.content.attachment"],
    // Notifications to people (src/notifications/): data-subject-request notices, and marketing mail with consent only.
    purposes: [
      { purpose: "support", legalBasis: "CONTRACT" },
      { purpose: "legal.compliance", legalBasis: "LEGAL_OBLIGATION" },
      { purpose: "marketing", legalBasis: "CONSENT" },
    ],
    retention: { kind: "TENANT_ACCOUNT" },
    dpaUrl: "https://eur-lex.europa.eu/eli/reg/2016/679/oj",
    // Mailboxes are connected with connectMailbox or startMailboxAuthorization, one or more per tenant, not with plugin settings.
    config: [],
    storesData: true,
  });
};
