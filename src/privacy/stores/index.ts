import type { TargetName } from "../../retention/targets.js";
import type { DataCategory } from "../taxonomy.js";
import { attachmentStore } from "./attachment.js";
import { auditEntryStore } from "./audit-entry.js";
import { consentEventStore } from "./consent-event.js";
import { contactStore } from "./contact.js";
import { dataExportStore } from "./data-export.js";
import { dataSubjectRequestStore } from "./data-subject-request.js";
import { emailMessageStore } from "./email-message.js";
import { messageStore } from "./message.js";
import { pluginCallStore } from "./plugin-call.js";
import { policyAcceptanceStore } from "./policy-acceptance.js";
import { portalTokenStore } from "./portal-token.js";
import type { PersonalDataStore, StoreExport } from "./store.js";
import { ticketStore } from "./ticket.js";
import { customFieldValueStore } from "./custom-field-value.js";
import { satisfactionStore } from "./satisfaction.js";
import { ticketFollowerStore } from "./ticket-follower.js";
import { notificationStore } from "./notification.js";

export type { PersonalDataStore } from "./store.js";

/**
 * Every place a contact's personal data is stored. Adding a store is one file
 * here plus the `/// @personal` marks on its columns in prisma/schema.prisma;
 * test/personal-data-stores.test.ts fails until both agree. The order is the
 * order of the export's sections, the scan's stores and the erasure receipt.
 */
export const STORES: readonly PersonalDataStore[] = [
  contactStore,
  ticketStore,
  messageStore,
  emailMessageStore,
  attachmentStore,
  consentEventStore,
  dataSubjectRequestStore,
  policyAcceptanceStore,
  auditEntryStore,
  dataExportStore,
  portalTokenStore,
  pluginCallStore,
  customFieldValueStore,
  satisfactionStore,
  ticketFollowerStore,
  notificationStore,
];

const BY_MODEL = new Map(STORES.map((s) => [s.model as string, s]));

export const storeOf = (model: string): PersonalDataStore | undefined => BY_MODEL.get(model);

export const isExported = (s: PersonalDataStore): s is PersonalDataStore & { export: StoreExport } => "write" in s.export;

/** Whether erasure changes the store's rows (rather than only reporting them as kept). */
const isErased = (s: PersonalDataStore) => s.erasure.steps.length > 0 || s.erasure.final !== undefined;

const union = (stores: readonly PersonalDataStore[]): DataCategory[] => [...new Set(stores.flatMap((s) => s.categories))];

/** The categories an access or portability export holds. */
export const exportedCategories = () => union(STORES.filter(isExported));

/** The categories an erasure removes or redacts somewhere. */
export const erasedCategories = () => union(STORES.filter(isErased));

/** The categories of the stores of these models. */
export const categoriesOf = (models: readonly string[]) => union(STORES.filter((s) => models.includes(s.model)));

/** The categories of the stores a retention target covers. */
export const retainedCategories = (target: TargetName) =>
  union(STORES.filter((s) => "target" in s.retention && s.retention.target === target));
