// Email figures: how fast a connected mailbox's existing mail is imported, and how
// soon a new mail is a TICKET_CREATED event on the tenant's feed.
//
//   npm run bench:email -- --messages 10000
//
// A throwaway Dovecot on 127.0.0.1 (plugins/email/test/dovecot.ts: needs
// dovecot-imapd and root) holds --messages mails, APPENDed before the mailbox is
// connected with importExisting; the real server (embedded database, in memory,
// in this process) imports them through the email plugin: messages/s and the
// peak RSS of this process. The peer, measured in the same run on the same
// folder: a plain imapflow client fetching the same mails (UID FETCH of the
// full source), which is the floor any import sits on. Then --latency single
// mails, one at a time: APPEND to the sequenced TICKET_CREATED event of its
// ticket, with the session in IDLE (p50/p99).
import { randomBytes, randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { ImapFlow } from "imapflow";
import MailComposer from "nodemailer/lib/mail-composer";
import { startDovecot, type Dovecot } from "../plugins/email/test/dovecot.js";
import { startSmtpSink } from "../plugins/email/test/smtp-sink.js";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/database.js";
import { createServer } from "../src/server.js";
import { createTenant } from "../src/tenants/service.js";
import { gql } from "./bench/http.js";
import { intOption } from "./bench/options.js";
import { machineLine, printTable } from "./bench/report.js";

const { values: args } = parseArgs({ options: { messages: { type: "string" }, latency: { type: "string" }, help: { type: "boolean" } } });
if (args.help) {
  console.log("Usage: npm run bench:email -- [--messages 500] [--latency 50]");
  process.exit(0);
}
const MESSAGES = intOption(args.messages, "messages", 500, 10, 100_000);
const LATENCY = intOption(args.latency, "latency", 50, 5, 1000);
/** Distinct senders: each is a contact, as in a real support mailbox. */
const SENDERS = 200;

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const composed = (i: number, subject: string) =>
  new MailComposer({
    from: `Customer ${i % SENDERS} <c${i % SENDERS}@customer.test>`,
    to: "support@example.test",
    subject,
    messageId: `<${randomUUID()}@customer.test>`,
    text: `Hello,\n\nmessage ${i}: the order did not arrive. ${"Some words of the complaint. ".repeat(8)}\n\nRegards`,
    html: `<p>Hello,</p><p>message ${i}: the order did not arrive.</p>`,
  })
    .compile()
    .build();

async function imap(dovecot: Dovecot, address: string) {
  const client = new ImapFlow({
    host: "127.0.0.1",
    port: dovecot.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: address, pass: dovecot.passwordOf(address)! },
    logger: false,
  });
  await client.connect();
  return client;
}

async function main() {
  const started = await startDovecot();
  if ("skipped" in started) {
    console.error(`bench:email needs a Dovecot it can start: ${started.skipped}`);
    process.exit(1);
  }
  const dovecot = started;
  const sink = await startSmtpSink((u) => dovecot.passwordOf(u));
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: "memory://",
    LOG_LEVEL: "silent",
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    RETENTION_SWEEP_MINUTES: "0",
    OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32",
    EMAIL_ALLOW_PLAINTEXT: "true",
    EMAIL_SENDER_LIMIT_PER_HOUR: "100000",
  });
  const database = await openDatabase(config);
  await database.migrate();
  const server = await createServer(config, { database });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  try {
    console.log(machineLine());
    const user = await dovecot.addUser("bench");
    // The mails, APPENDed over one connection before the mailbox is connected.
    const writer = await imap(dovecot, user.address);
    for (let i = 0; i < MESSAGES; i++) await writer.append("INBOX", await composed(i, `Order ${i} missing`));
    await writer.logout();
    const bytes = (await composed(0, "Order 0 missing")).length;
    console.log(`${MESSAGES} mails APPENDed (about ${bytes} bytes each)`);

    // The peer: a plain IMAP client fetching every mail's source.
    const peer = await imap(dovecot, user.address);
    await peer.mailboxOpen("INBOX", { readOnly: true });
    const peerStart = performance.now();
    let fetched = 0;
    for await (const m of peer.fetch("1:*", { uid: true, source: true }, { uid: true })) if (m.source) fetched++;
    const peerMs = performance.now() - peerStart;
    await peer.logout();

    const slug = `bench-email-${randomBytes(3).toString("hex")}`;
    const password = "bench password long enough";
    const { tenant } = await createTenant(database, {
      name: "Bench",
      slug,
      owner: { email: `owner@${slug}.test`, name: "Owner", password },
    });
    const token = (
      await gql(
        server.url,
        null,
        `mutation($t: String!, $e: String!, $p: String!) { signIn(tenant: $t, email: $e, password: $p) { token } }`,
        {
          t: slug,
          e: `owner@${slug}.test`,
          p: password,
        },
      )
    ).signIn.token as string;
    await gql(server.url, token, `mutation { enablePlugin(id: "email", acceptTransfer: true) { enabled } }`);
    const local = (port: number) => ({ host: "127.0.0.1", port, security: "NONE" });
    const rssBefore = process.memoryUsage().rss;
    peakRss = rssBefore;
    const importStart = performance.now();
    await gql(server.url, token, `mutation($i: ConnectMailboxInput!) { connectMailbox(input: $i) { id } }`, {
      i: {
        address: user.address,
        importExisting: true,
        passwordLogin: { imap: local(dovecot.port), smtp: local(sink.port), password: user.password },
      },
    });
    const stored = () => database.prisma.emailMessage.count({ where: { tenantId: tenant.id } });
    const deadline = Date.now() + 3_600_000;
    while ((await stored()) < MESSAGES) {
      if (Date.now() > deadline) throw new Error("the import did not finish within an hour");
      await sleep(50);
    }
    const importMs = performance.now() - importStart;
    const importPeak = peakRss;

    // Latency: one mail at a time, the session idling; APPEND until its ticket's TICKET_CREATED is sequenced.
    const created = () => database.prisma.event.count({ where: { tenantId: tenant.id, type: "TICKET_CREATED", seq: { not: null } } });
    const writer2 = await imap(dovecot, user.address);
    const latencies: number[] = [];
    for (let i = 0; i < LATENCY; i++) {
      const raw = await composed(MESSAGES + i, `Latency ${i}`);
      const before = await created();
      await sleep(100); // the session back in IDLE after the last mail
      const t0 = performance.now();
      await writer2.append("INBOX", raw);
      while ((await created()) <= before) await sleep(2);
      latencies.push(performance.now() - t0);
    }
    await writer2.logout();
    latencies.sort((a, b) => a - b);

    const rate = (n: number, ms: number) => Math.round(n / (ms / 1000)).toLocaleString("en");
    const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;
    console.log(`\n${MESSAGES} mails in one folder, embedded database in memory, everything on 127.0.0.1\n`);
    printTable(
      ["figure", "value"],
      [
        ["import: messages/s (connect with importExisting → every mail stored)", rate(MESSAGES, importMs)],
        ["import: total", `${(importMs / 1000).toFixed(1)} s`],
        ["import: peak RSS of this process (server, database, plugin)", mib(importPeak)],
        ["import: RSS before connecting", mib(rssBefore)],
        ["peer: plain imapflow UID FETCH of the same mails, messages/s", rate(fetched, peerMs)],
        ["peer / import (how many times faster the bare fetch is)", (fetched / peerMs / (MESSAGES / importMs)).toFixed(1)],
        [`APPEND → TICKET_CREATED sequenced, IDLE, p50 (${LATENCY} mails)`, `${quantile(latencies, 0.5).toFixed(0)} ms`],
        ["APPEND → TICKET_CREATED sequenced, IDLE, p99", `${quantile(latencies, 0.99).toFixed(0)} ms`],
      ],
      1,
    );
  } finally {
    clearInterval(sampler);
    await server.close();
    await database.close();
    await sink.close();
    await dovecot.close();
  }
}

await main();
