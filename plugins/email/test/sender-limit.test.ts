import { randomBytes, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp } from "../../../test/support/app.js";
import { freePort, untilListening } from "../../../test/support/free-port.js";
import { startPeer } from "../../../test/support/peer.js";
import { redisAnswers, startRedis, type RedisProcess } from "../../../test/support/redis.js";
import type { RunningServer } from "../../../src/server.js";
import { startDovecot, type Dovecot } from "./dovecot.js";
import { startSmtpSink } from "./smtp-sink.js";

/**
 * The per-sender cap across two instances: each runs its own inbound SMTP
 * endpoint, a sender's mails alternate between them, and the cap holds for
 * the two together because the count lives in Redis (CI's REDIS_URL, else the
 * local server on 6379, else a redis-server of the test's own), under a key
 * prefix of this file's own. Connecting the mailbox needs Dovecot; where it
 * cannot be started the file says why, loudly, and skips.
 */
const started = await startDovecot();
const skipped = "skipped" in started ? started.skipped : null;
if (skipped) console.warn(`\n\n!!! plugins/email/test/sender-limit.test.ts SKIPPED: ${skipped}\n\n`);
const dovecot = started as Dovecot;

const DOMAIN = "in.deskgraph.test";
const PREFIX = `deskgraph-test:sender-limit:${randomBytes(4).toString("hex")}`;
let own: RedisProcess | undefined;
let redisUrl: string;
let app: TestApp;
let peer: RunningServer;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
const ports: number[] = [];

async function anyRedis(): Promise<string> {
  for (const url of [process.env.REDIS_URL, "redis://127.0.0.1:6379"]) if (url && (await redisAnswers(url))) return url;
  own = await startRedis();
  return own.url;
}

const listening = (port: number) => untilListening(port, `the inbound SMTP endpoint on ${port} to listen`);

beforeAll(async () => {
  if (skipped) return;
  redisUrl = await anyRedis();
  sink = await startSmtpSink((username) => dovecot.passwordOf(username));
  ports.push(await freePort(), await freePort());
  const shared = {
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32",
    EMAIL_ALLOW_PLAINTEXT: "true",
    EMAIL_SENDER_LIMIT_PER_HOUR: "4",
    EMAIL_INBOUND_DOMAIN: DOMAIN,
    EMAIL_REDIS_KEY_PREFIX: PREFIX,
    REDIS_URL: redisUrl,
  };
  app = await startApp({ ...shared, EMAIL_INBOUND_SMTP_PORT: String(ports[0]) });
  peer = await startPeer(app.database, { ...shared, EMAIL_INBOUND_SMTP_PORT: String(ports[1]) });
  await Promise.all(ports.map(listening));
}, 60_000);

afterAll(async () => {
  await peer?.close();
  await app?.close();
  await sink?.close();
  if (redisUrl && !own) {
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
  await own?.kill();
  if (!skipped) await dovecot.close();
});

describe.skipIf(skipped !== null)("the per-sender cap", () => {
  it("holds across two instances: mails over it open no ticket and are counted on the mailbox", async () => {
    const t = await app.tenant();
    const ok = async (query: string, variables: Record<string, unknown> = {}) => {
      const r = await app.gql(query, variables, t.ownerToken);
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      return r.data;
    };
    await ok(`mutation { enablePlugin(id: "email", acceptTransfer: true) { enabled } }`);
    const user = await dovecot.addUser("capped");
    const server = (p: number) => ({ host: "127.0.0.1", port: p, security: "NONE" });
    const { connectMailbox } = await ok(`mutation($i: ConnectMailboxInput!) { connectMailbox(input: $i) { forwardingAddress } }`, {
      i: { address: user.address, passwordLogin: { imap: server(dovecot.port), smtp: server(sink.port), password: user.password } },
    });
    const to = connectMailbox.forwardingAddress as string;

    // Six mails of one sender, alternating between the two instances' endpoints; the cap is 4 an hour.
    for (let i = 1; i <= 6; i++) {
      const port = ports[i % 2]!;
      await nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true }).sendMail({
        from: "Loop <LOOP@customer.test>",
        to,
        subject: `Loop ${i}`,
        text: String(i),
        messageId: `<${randomUUID()}@customer.test>`,
      });
    }
    // Another sender has a budget of its own.
    await nodemailer
      .createTransport({ host: "127.0.0.1", port: ports[1]!, secure: false, ignoreTLS: true })
      .sendMail({ from: "calm@customer.test", to, subject: "Calm", text: "hello" });

    const data = await ok(`{
      tickets(first: 20, orderBy: { field: NUMBER, direction: ASC }) { edges { node { subject } } }
      mailboxes { mailsOverSenderLimit lastOverSenderLimitAt }
    }`);
    expect(data.tickets.edges.map((e: any) => e.node.subject)).toEqual(["Loop 1", "Loop 2", "Loop 3", "Loop 4", "Calm"]);
    expect(data.mailboxes).toEqual([{ mailsOverSenderLimit: 2, lastOverSenderLimitAt: expect.any(String) }]);

    // The counts are in Redis under the operator's prefix, keyed by digests: no address in them.
    const redis = new Redis(redisUrl);
    try {
      const keys = await redis.keys(`${PREFIX}:sender*`);
      expect(keys).toHaveLength(2);
      expect(keys.join(" ")).not.toMatch(/customer|@/i);
      expect((await Promise.all(keys.map((k) => redis.get(k)))).map(Number).sort()).toEqual([1, 6]);
    } finally {
      redis.disconnect();
    }
  }, 60_000);
});
