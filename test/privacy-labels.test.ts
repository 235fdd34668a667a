import { getNamedType, isObjectType } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../src/graphql/schema.js";
import { labelsOf } from "../src/privacy/labels.js";
import { DATA_CATEGORIES, PURPOSES } from "../src/privacy/taxonomy.js";

/**
 * Types that hold personal data. Every field on them carries @personalData,
 * except those listed here with the reason they are not personal data; a new
 * unlabelled field fails this test.
 */
const PERSONAL_TYPES: Record<string, Record<string, string>> = {
  Contact: {
    id: "identifier",
    customFields:
      "values whose field the tenant marked personal data are recorded as read (user.custom) by src/custom-fields/record-fields.ts",
    createdAt: "operational timestamp",
    updatedAt: "operational timestamp",
    erased: "operational flag",
    tickets: "link to tickets, labelled on their own fields",
    legalHold: "the controller's decision, not the person's data",
    legalHoldReason: "the controller's reason, written by staff",
    dataSubjectRequests: "link to requests, labelled on their own fields",
  },
  Agent: { id: "identifier", createdAt: "operational timestamp" },
  Message: {
    id: "identifier",
    internal: "visibility flag",
    authorType: "operational",
    authorAgent: "link, labelled on Agent",
    authorContact: "link, labelled on Contact",
    channel: "operational",
    createdAt: "operational timestamp",
    redacted: "operational flag",
    ticket: "link",
    attachments: "link, labelled on Attachment",
    deliveryStatus: "operational: the channel vendor's delivery report",
    deliveryError: "operational: a stable error code, never the vendor's text",
    externalId: "the channel vendor's identifier",
  },
  Ticket: {
    id: "identifier",
    number: "operational",
    status: "operational",
    priority: "operational",
    channel: "operational",
    requester: "link, labelled on Contact",
    assignee: "link, labelled on Agent",
    tags: "the team's classification",
    messages: "link, labelled on Message",
    lastMessage: "link, labelled on Message",
    createdAt: "operational timestamp",
    updatedAt: "operational timestamp",
    solvedAt: "operational timestamp",
    lastMessageAt: "operational timestamp",
    customFields:
      "values whose field the tenant marked personal data are recorded as read (user.custom) by src/custom-fields/record-fields.ts",
    followers: "link, labelled on Contact",
    mergedAt: "operational timestamp",
    mergedInto: "link",
    satisfaction: "link, labelled on its own fields (the comment)",
    satisfactionRequest: "a signed token for the requester, no personal data",
    sla: "operational: due times and breaches",
    team: "link, the team it is routed to",
  },
  Attachment: {
    id: "identifier",
    contentType: "file format",
    size: "operational",
    createdAt: "operational timestamp",
    textStatus: "whether the text was read, never the text",
    textReason: "why the text was not read, a fixed code",
    scanStatus: "operational: the malware scan's verdict",
    scannedAt: "operational timestamp",
    scannedBy: "the scanner plugin's id",
    scanSignature: "the scanner's name for what it found, never content",
    scanError: "operational: a stable error code",
  },
  DataSubjectRequest: {
    id: "identifier",
    contact: "link, labelled on Contact",
    type: "the right exercised, kept to prove the request was handled",
    status: "operational",
    receivedAt: "legal deadline bookkeeping",
    dueAt: "legal deadline bookkeeping",
    overdue: "legal deadline bookkeeping",
    extended: "legal deadline bookkeeping",
    extensionReason: "the controller's reason, written by staff",
    refusalReason: "the controller's reason, written by staff",
    completedAt: "operational timestamp",
    verificationExpiresAt: "legal deadline bookkeeping: until when the emailed link works",
    verifiedAt: "legal deadline bookkeeping: when the request was confirmed",
    receipt: "counts per store, never personal data",
    export: "a signed link, labelled data lives in the export",
    filedByType: "operational",
    filedById: "who filed it, by id",
  },
  SearchHighlight: { field: "the name of the matched field" },
  ConsentRecord: { id: "identifier", actorType: "operational", actorId: "who recorded it, by id", createdAt: "operational timestamp" },
  BillingDetails: { address: "link, labelled on BillingAddress" },
  BillingAddress: {},
  AiAnswer: {
    suggestion: "link to the stored suggestion, which holds no text",
    kind: "operational",
    ticket: "link",
    sourceTickets: "links to tickets, labelled on their own fields",
    classification: "tags, priority, language and mood: suggestions about the ticket",
    provider: "operational",
    model: "operational",
    fellBackFrom: "operational",
    truncated: "operational flag",
    notices: "the product's own words about the answer",
  },
};

describe("personal data labels", () => {
  it("label every field of every type holding personal data", () => {
    const unlabelled: string[] = [];
    for (const [typeName, exempt] of Object.entries(PERSONAL_TYPES)) {
      const type = schema.getType(typeName);
      expect(type && isObjectType(type), `${typeName} exists`).toBe(true);
      if (!type || !isObjectType(type)) continue;
      for (const [name, field] of Object.entries(type.getFields())) {
        if (exempt[name]) continue;
        if (!labelsOf(field).category) unlabelled.push(`${typeName}.${name}`);
      }
    }
    expect(unlabelled, "fields returning personal data without @personalData").toEqual([]);
  });

  it("use only categories and purposes of the taxonomy", () => {
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith("__")) continue;
      for (const [name, field] of Object.entries(type.getFields())) {
        const { category, purpose } = labelsOf(field);
        if (category) expect(Object.keys(DATA_CATEGORIES), `${type.name}.${name}`).toContain(category);
        if (purpose) expect(Object.keys(PURPOSES), `${type.name}.${name}`).toContain(purpose);
      }
    }
  });

  it("make every @consent field nullable, so a refusal leaves the rest of the response", () => {
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith("__")) continue;
      for (const [name, field] of Object.entries(type.getFields())) {
        if (labelsOf(field).purpose) expect(field.type, `${type.name}.${name}`).toBe(getNamedType(field.type));
      }
    }
  });
});
