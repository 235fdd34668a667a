// Every `deskgraph <command>`, in the order `deskgraph --help` lists them.
// A new command is a file in this folder exporting a Command, added here.
import { attachmentsExtractText } from "./attachments-extract-text.js";
import { attachmentsMigrate } from "./attachments-migrate.js";
import { auditVerify } from "./audit-verify.js";
import { billingReconcile } from "./billing-reconcile.js";
import { blobsCopy } from "./blobs-copy.js";
import type { Command } from "./command.js";
import { migrate } from "./migrate.js";
import { ropa } from "./ropa.js";
import { searchReindex } from "./search-reindex.js";
import { secretsRotate } from "./secrets-rotate.js";
import { seed } from "./seed.js";
import { serve } from "./serve.js";
import { sweep } from "./sweep.js";
import { tenant } from "./tenant.js";

export const commands: Command[] = [
  serve,
  migrate,
  seed,
  tenant,
  sweep,
  ropa,
  auditVerify,
  secretsRotate,
  attachmentsMigrate,
  attachmentsExtractText,
  blobsCopy,
  billingReconcile,
  searchReindex,
];
