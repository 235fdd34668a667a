import { AppError } from "../../src/errors.js";
import { AddressNotAllowed } from "../../src/outbound/guard.js";
import { failureReason } from "./connection.js";
import { closeImap, connectImap, type ConnectDeps } from "./imap.js";
import type { EmailRuntime } from "./options.js";
import type { MailboxAccess } from "./providers/provider.js";
import { smtpTransport } from "./smtp.js";

export interface Verified {
  uidValidity: bigint;
  uidNext: number;
}

/** Which input a failure points at: the server's host, the credentials. */
export interface InputPaths {
  host(server: "IMAP" | "SMTP"): string[];
  credentials: string[];
}

/** connectMailbox's passwordLogin. */
const PASSWORD_LOGIN: InputPaths = {
  host: (server) => ["input", "passwordLogin", server.toLowerCase(), "host"],
  credentials: ["input", "passwordLogin", "password"],
};

/**
 * Signs in to IMAP and opens the folder, then signs in to SMTP, through the
 * gateway (recorded as "verify"; it carries nobody's data). A failure is
 * MAILBOX_CONNECTION_FAILED with the server (IMAP or SMTP) and a stable
 * reason, or ADDRESS_NOT_ALLOWED for a server in a network the operator did
 * not open, each naming the input at fault.
 */
export async function verifyMailbox(
  runtime: EmailRuntime,
  deps: ConnectDeps,
  mailbox: MailboxAccess,
  folder: string,
  paths: InputPaths = PASSWORD_LOGIN,
): Promise<Verified> {
  return runtime.call({ operation: "verify", purpose: "support", categories: [], subjectIds: [] }, async () => {
    let verified: Verified;
    const imap = await connectImap(deps, mailbox).catch((err) => {
      throw connectionFailed("IMAP", err, paths);
    });
    try {
      const opened = await imap.mailboxOpen(folder, { readOnly: true });
      verified = { uidValidity: opened.uidValidity, uidNext: opened.uidNext };
    } catch (err) {
      throw connectionFailed("IMAP", err, paths);
    } finally {
      await closeImap(imap);
    }
    const smtp = await smtpTransport(deps, mailbox).catch((err) => {
      throw connectionFailed("SMTP", err, paths);
    });
    try {
      await smtp.verify();
    } catch (err) {
      throw connectionFailed("SMTP", err, paths);
    } finally {
      smtp.close();
    }
    return verified;
  });
}

function connectionFailed(server: "IMAP" | "SMTP", err: unknown, paths: InputPaths): AppError {
  const at = paths.host(server);
  if (err instanceof AddressNotAllowed) {
    return new AppError("ADDRESS_NOT_ALLOWED", `${at.join(".")}: ${err.message}`, {
      fields: [{ path: at, message: err.message }],
      address: err.address,
    });
  }
  const reason = failureReason(err);
  return new AppError("MAILBOX_CONNECTION_FAILED", `Could not connect the mailbox: ${server} ${MESSAGES[reason]}`, {
    server,
    reason,
    fields: [
      {
        path:
          reason === "AUTHENTICATION_FAILED" || reason === "GRANT_REVOKED"
            ? paths.credentials
            : reason === "FOLDER_NOT_FOUND"
              ? ["input", "folder"]
              : at,
        message: MESSAGES[reason],
      },
    ],
  });
}

const MESSAGES: Record<ReturnType<typeof failureReason>, string> = {
  ADDRESS_NOT_ALLOWED: "is in a network this server may not call",
  HOST_NOT_FOUND: "server's name does not resolve",
  UNREACHABLE: "server could not be reached (refused, timed out or closed the connection)",
  TLS_FAILED: "server's TLS failed (certificate, or STARTTLS not offered)",
  AUTHENTICATION_FAILED: "server refused the credentials (the username or password, or the account signed in with at the provider)",
  GRANT_REVOKED: "provider no longer accepts the authorization",
  FOLDER_NOT_FOUND: "server has no such folder",
  MAILBOX_DISCONNECTED: "mailbox has no credentials",
  PROTOCOL_ERROR: "server answered in a way the client did not understand",
};
