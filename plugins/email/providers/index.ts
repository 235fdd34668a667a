import type { MailboxKind } from "../../../src/generated/prisma/client.js";
import { passwordProvider } from "./password.js";
import type { MailboxProvider } from "./provider.js";

const PROVIDERS: Record<MailboxKind, MailboxProvider> = {
  IMAP: passwordProvider,
};

export const providerOf = (kind: MailboxKind): MailboxProvider => PROVIDERS[kind];
