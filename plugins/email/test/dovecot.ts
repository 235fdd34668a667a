import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { ImapFlow } from "imapflow";
import { freePort } from "../../../test/support/free-port.js";
import { until } from "../../../test/support/webhooks.js";

/**
 * A throwaway Dovecot (IMAP only) for one test file: its own directory,
 * configuration, users and port, started in the foreground as a child of the
 * test and killed (by its pid) at the end. Mail is delivered into it by IMAP
 * APPEND, as a mail server's delivery agent would put it there.
 * The recipe: /work/shared/recipes (README.md, dovecot.conf).
 */
export interface Dovecot {
  host: string;
  port: number;
  /** A new mailbox user: its address is also its login, its password random. */
  addUser(local: string): Promise<{ address: string; username: string; password: string }>;
  /** A user's current password. */
  passwordOf(address: string): string | undefined;
  /** Changes a user's password, as the provider would when its owner changes it. */
  setPassword(address: string, password: string): Promise<void>;
  /** Ends every session of a user (doveadm kick), as a provider does after a password change. */
  kick(address: string): void;
  /** Puts a raw message into the user's INBOX; resolves with its UID. */
  append(address: string, raw: string | Buffer, folder?: string): Promise<number>;
  /** The UIDs of the user's INBOX. */
  uids(address: string, folder?: string): Promise<number[]>;
  close(): Promise<void>;
}

const CONF = `base_dir = @DIR@/run
state_dir = @DIR@/state
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
# Refused sign-ins are answered at once (2 s by default, against guessing; nobody guesses here).
auth_failure_delay = 0
auth_mechanisms = plain login
log_path = @DIR@/dovecot.log
mail_location = maildir:~/Maildir
default_internal_user = dovecot
default_login_user = dovenull
default_internal_group = dovecot
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = @PORT@
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u @DIR@/users
}
userdb {
  driver = passwd-file
  args = username_format=%u @DIR@/users
}
first_valid_uid = 0
`;

export const DOMAIN = "mail.example.test";

/** Why Dovecot cannot run here, or null when it can. */
function unavailable(): string | null {
  if (spawnSync("dovecot", ["--version"]).status !== 0) return "dovecot is not installed (apt-get install dovecot-imapd)";
  const ids = spawnSync("id", ["dovecot"]);
  if (ids.status !== 0) return "there is no dovecot system user";
  if (process.getuid?.() !== 0) return "Dovecot's test instance needs root (it switches to the dovecot user for mail)";
  return null;
}

/**
 * Sign-in with OAuth2 besides passwords: XOAUTH2 and OAUTHBEARER go to
 * Dovecot's oauth2 passdb, which asks this RFC 7662 introspection endpoint
 * (POST token=…) whose the token is ({ active, username }).
 */
const OAUTH2 = `auth_mechanisms = plain login xoauth2 oauthbearer
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = @DIR@/oauth2.conf
}
`;
const OAUTH2_CONF = `introspection_mode = post
introspection_url = @URL@
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
`;

export async function startDovecot(options: { introspectionUrl?: string } = {}): Promise<Dovecot | { skipped: string }> {
  const reason = unavailable();
  if (reason) return { skipped: reason };
  const uid = Number(spawnSync("id", ["-u", "dovecot"]).stdout.toString().trim());
  const gid = Number(spawnSync("id", ["-g", "dovecot"]).stdout.toString().trim());
  const dir = mkdtempSync(path.join(tmpdir(), "deskgraph-dovecot-"));
  chmodSync(dir, 0o755);
  for (const sub of ["run", "state", "mail"]) mkdirSync(path.join(dir, sub));
  chownSync(path.join(dir, "mail"), uid, gid);
  writeFileSync(path.join(dir, "users"), "");
  const port = await freePort();
  const conf = path.join(dir, "dovecot.conf");
  let text = CONF;
  if (options.introspectionUrl) {
    // The oauth2 passdb comes first, for its mechanisms only; passwords still go to the users file.
    text = text.replace("auth_mechanisms = plain login\n", "").replace("passdb {", `${OAUTH2}passdb {`);
    writeFileSync(path.join(dir, "oauth2.conf"), OAUTH2_CONF.replace("@URL@", options.introspectionUrl));
  }
  writeFileSync(conf, text.replaceAll("@DIR@", dir).replaceAll("@PORT@", String(port)));

  const child: ChildProcess = spawn("dovecot", ["-F", "-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  let exited = false;
  child.on("exit", () => (exited = true));
  try {
    await until(async () => exited || (await greets(port)), 15_000, "Dovecot to answer");
  } catch {
    // fall through to the check below
  }
  if (exited || !(await greets(port))) {
    child.kill("SIGKILL");
    const log = (() => {
      try {
        return readFileSync(path.join(dir, "dovecot.log"), "utf8");
      } catch {
        return "";
      }
    })();
    rmSync(dir, { recursive: true, force: true });
    return { skipped: `Dovecot did not start: ${(stderr + log).trim().split("\n").slice(-3).join(" | ") || "no output"}` };
  }

  const passwords = new Map<string, string>();
  const users = path.join(dir, "users");
  // Dovecot reads the users file again when its mtime changes, to the second: each change gets a second of its own.
  let mtime = Math.floor(Date.now() / 1000);
  const touched = () => utimesSync(users, ++mtime, mtime);
  // Dovecot looks at the users file at most once a second: a change is in force once a sign-in works.
  const signsIn = (address: string) =>
    login(address).then(
      async (client) => {
        await client.logout();
        return true;
      },
      () => false,
    );
  const login = async (address: string) => {
    const pass = passwords.get(address)!;
    const client = new ImapFlow({
      host: "127.0.0.1",
      port,
      secure: false,
      doSTARTTLS: false,
      auth: { user: address, pass },
      logger: false,
    });
    await client.connect();
    return client;
  };
  return {
    host: "127.0.0.1",
    port,
    async addUser(local) {
      const address = `${local}@${DOMAIN}`;
      const home = path.join(dir, "mail", local);
      mkdirSync(home);
      chownSync(home, uid, gid);
      const password = randomBytes(9).toString("base64url");
      appendFileSync(users, `${address}:{PLAIN}${password}:${uid}:${gid}::${home}\n`);
      touched();
      passwords.set(address, password);
      await until(() => signsIn(address), 10_000, `Dovecot to know ${address}`);
      return { address, username: address, password };
    },
    passwordOf: (address) => passwords.get(address),
    async setPassword(address, password) {
      const lines = readFileSync(users, "utf8").split("\n");
      writeFileSync(
        users,
        lines.map((l) => (l.startsWith(`${address}:`) ? l.replace(/\{PLAIN\}[^:]*/, `{PLAIN}${password}`) : l)).join("\n"),
      );
      touched();
      passwords.set(address, password);
      await until(() => signsIn(address), 10_000, `Dovecot to take ${address}'s new password`);
    },
    kick(address) {
      const r = spawnSync("doveadm", ["-c", conf, "kick", address]);
      if (r.status !== 0 && r.status !== 68) throw new Error(`doveadm kick failed: ${r.stderr.toString()}`);
    },
    async append(address, raw, folder = "INBOX") {
      const client = await login(address);
      try {
        const appended = await client.append(folder, typeof raw === "string" ? Buffer.from(raw) : raw);
        const uid = appended ? appended.uid : undefined;
        if (!uid) throw new Error("APPEND gave no UID");
        return uid;
      } finally {
        await client.logout();
      }
    },
    async uids(address, folder = "INBOX") {
      const client = await login(address);
      try {
        await client.mailboxOpen(folder, { readOnly: true });
        return ((await client.search({ all: true }, { uid: true })) || []).sort((a, b) => a - b);
      } finally {
        await client.logout();
      }
    },
    async close() {
      child.kill("SIGTERM");
      await new Promise<void>((resolve) => {
        if (exited) return resolve();
        const t = setTimeout(() => {
          child.kill("SIGKILL");
          resolve();
        }, 5000);
        child.once("exit", () => {
          clearTimeout(t);
          resolve();
        });
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether something on the port answers with an IMAP greeting. */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once("data", (d) => done(d.toString().startsWith("* OK")));
    socket.once("error", () => done(false));
  });
}
