import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

interface Sent {
  /** Who signed in, and how (PLAIN, LOGIN, XOAUTH2). */
  user: string;
  method: string;
  from: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
}

/**
 * An SMTP server on 127.0.0.1 that takes mail for any recipient from the
 * test's mailbox users (with their Dovecot passwords) and keeps it, as the mailbox's
 * provider would before delivering it: what the plugin sent, as sent.
 */
export async function startSmtpSink(
  passwordOf: (username: string) => string | undefined,
  /** Whose an OAuth2 access token is (XOAUTH2): the provider's answer, as its SMTP server would get it. */
  tokenUser: (accessToken: string) => string | null = () => null,
) {
  const sent: Sent[] = [];
  let refuse = 0;
  let defer = 0;
  let held: (() => void) | null = null;
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    authMethods: ["PLAIN", "LOGIN", "XOAUTH2"],
    logger: false,
    onConnect(_session, callback) {
      // A held connection is never greeted: the client waits, as on a server that hangs.
      if (!held) return callback();
      held();
      held = null;
    },
    onAuth(auth, _session, callback) {
      if (auth.method === "XOAUTH2") {
        if (!auth.accessToken || tokenUser(auth.accessToken) !== auth.username)
          return callback(null, { data: { status: "401", schemes: "bearer" } });
        return callback(null, { user: `${auth.username}\nXOAUTH2` });
      }
      if (!auth.password || auth.password !== passwordOf(auth.username ?? ""))
        return callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
      callback(null, { user: `${auth.username}\n${auth.method}` });
    },
    onRcptTo(_address, _session, callback) {
      if (refuse > 0) {
        refuse--;
        return callback(Object.assign(new Error("Mailbox unavailable"), { responseCode: 550 }));
      }
      if (defer > 0) {
        defer--;
        return callback(Object.assign(new Error("Try again later"), { responseCode: 451 }));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        void simpleParser(raw).then((parsed) => {
          const [user = "", method = ""] = String(session.user ?? "").split("\n");
          sent.push({
            user,
            method,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            parsed,
          });
          callback();
        }, callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: "127.0.0.1",
    port: (server.server.address() as AddressInfo).port,
    sent,
    /** The next n recipients are refused (550). */
    refuseNext: (n: number) => (refuse = n),
    /** The next n recipients are deferred (451: a temporary failure). */
    deferNext: (n: number) => (defer = n),
    /** The next connection is held without a greeting; resolves once it came. */
    holdNext: () => new Promise<void>((resolve) => (held = resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
