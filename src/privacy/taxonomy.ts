/**
 * The data categories and processing purposes the whole product speaks of:
 * schema labels (@personalData, @consent), consent records, retention rules,
 * plugin manifests, audit entries and the record of processing all use these
 * names and nothing else.
 */

export const DATA_CATEGORIES = {
  "user.name": "A person's name",
  "user.contact.email": "Email address",
  "user.contact.phone": "Phone number",
  "user.contact.address": "Postal address",
  "user.preference.locale": "Preferred language",
  "user.organization": "The organisation a person belongs to",
  "user.content.message": "What a person wrote: ticket subjects, messages, notes about them",
  "user.content.attachment": "Files a person sent or that were attached about them",
  "user.custom": "Values of custom fields the tenant marked as personal data",
  "user.device.ip": "IP address and device information",
  "user.payment": "Payment and billing data",
  "user.consent": "Consent given or withdrawn, objections, restrictions",
  "user.account": "Account data of staff: role, sign-in status",
  "system.operations": "Identifiers, timestamps and statuses needed to run the service",
} as const;

export type DataCategory = keyof typeof DATA_CATEGORIES;

type LegalBasis = "CONTRACT" | "LEGAL_OBLIGATION" | "LEGITIMATE_INTEREST" | "CONSENT";

export interface Purpose {
  description: string;
  /** GDPR art. 6(1) basis. */
  legalBasis: LegalBasis;
  /**
   * Whether the data subject can stop it: by withdrawing consent (basis CONSENT)
   * or by objecting (art. 21, basis LEGITIMATE_INTEREST).
   */
  objectable: boolean;
}

export const PURPOSES = {
  support: {
    description: "Receiving, answering and resolving support requests",
    legalBasis: "CONTRACT",
    objectable: false,
  },
  "legal.compliance": {
    description: "Handling data-subject requests, keeping the audit trail, answering authorities",
    legalBasis: "LEGAL_OBLIGATION",
    objectable: false,
  },
  analytics: {
    description: "Statistics about a person's support history to improve the service",
    legalBasis: "LEGITIMATE_INTEREST",
    objectable: true,
  },
  "ai.assistance": {
    description: "Suggested replies, summaries and classification by AI models",
    legalBasis: "LEGITIMATE_INTEREST",
    objectable: true,
  },
  "sms.messaging": {
    description: "Sending and receiving support messages by SMS",
    legalBasis: "CONSENT",
    objectable: true,
  },
  billing: {
    description: "Billing a tenant for the service: its subscription, invoices and billing details",
    legalBasis: "CONTRACT",
    objectable: false,
  },
  marketing: {
    description: "Product news and offers",
    legalBasis: "CONSENT",
    objectable: true,
  },
} as const satisfies Record<string, Purpose>;

export type PurposeName = keyof typeof PURPOSES;

export const isDataCategory = (v: string): v is DataCategory => Object.hasOwn(DATA_CATEGORIES, v);
export const isPurpose = (v: string): v is PurposeName => Object.hasOwn(PURPOSES, v);
