import { defineManifest } from "../../src/plugin-host/manifest.js";

export const EMAIL = "email";

// The vendor is each tenant's own mail provider, wherever its servers are: why the location is
// "unknown" (ZZ), the transfer SCC and the retention the tenant's own: README.md, "What goes where".
export const manifest = defineManifest({
  id: EMAIL,
  name: "Email (IMAP and SMTP)",
  version: "1.0.0",
  description:
    "Connect your support mailboxes: mail arriving in them becomes tickets, agents' replies leave from them with the conversation's threading. Disconnecting a mailbox deletes its credentials at once and its tickets after 30 days.",
  vendor: { legalName: "The tenant's own mail provider (each connected mailbox's IMAP and SMTP servers)", country: "ZZ" },
  processingLocations: ["ZZ"],
  transferMechanism: "SCC",
  dataCategories: ["user.name", "user.contact.email", "user.content.message", "user.content.attachment"],
  purposes: [{ purpose: "support", legalBasis: "CONTRACT" }],
  retention: { kind: "TENANT_ACCOUNT" },
  dpaUrl: "https://eur-lex.europa.eu/eli/reg/2016/679/oj",
  // Mailboxes are connected with connectMailbox, one or more per tenant, not with plugin settings.
  config: [],
  storesData: true,
});
