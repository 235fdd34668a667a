import { pino } from "pino";
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config.js";
import { outboundGuard } from "../../../src/outbound/guard.js";
import { SecretBox } from "../../../src/plugin-host/secrets.js";
import { options as emailOptions } from "../options.js";
import { smtpTransport } from "../smtp.js";
import { dkimFailure } from "./dkim-verify.js";
import { startSmtpSink } from "./smtp-sink.js";

/**
 * DKIM on mail sent from the operator's own domain (EMAIL_DKIM_*): signed by
 * nodemailer as it leaves, verified in the SMTP sink that received it.
 */
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PRIVATE = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const PUBLIC = publicKey.export({ type: "spki", format: "pem" }).toString();
const box = new SecretBox(Buffer.alloc(32, 7));

let sink: Awaited<ReturnType<typeof startSmtpSink>>;
beforeAll(async () => {
  sink = await startSmtpSink(() => "secret");
});
afterAll(() => sink?.close());

/** Sends one mail from `from` through the plugin's transport, with the DKIM options of `env`. */
async function send(from: string, env: Record<string, string>) {
  const config = loadConfig({ OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32" });
  const options = emailOptions.parse(env);
  const transport = await smtpTransport(
    {
      guard: outboundGuard(config),
      record: (_operation, send) => send(),
      secrets: box,
      options,
      db: null as never,
      log: pino({ enabled: false }),
    },
    {
      kind: "IMAP",
      address: from,
      displayName: null,
      imapHost: "127.0.0.1",
      imapPort: 1,
      imapSecurity: "NONE",
      smtpHost: "127.0.0.1",
      smtpPort: sink.port,
      smtpSecurity: "NONE",
      username: from,
      secrets: { password: box.seal("secret") },
    },
  );
  try {
    await transport.sendMail({ from, to: "ann@customer.test", subject: "Your ticket  #42", text: `Hello Ann,  \n\nit is fixed.\n\n\n` });
  } finally {
    transport.close();
  }
  return sink.sent.at(-1)!;
}

const DKIM = { EMAIL_DKIM_DOMAIN: "desk.example.test", EMAIL_DKIM_SELECTOR: "dg2026", EMAIL_DKIM_PRIVATE_KEY: PRIVATE };

describe("DKIM", () => {
  it("signs mail from the operator's domain and its subdomains, verifiably with the published key", async () => {
    for (const from of ["acme@desk.example.test", "support@acme.desk.example.test"]) {
      const sent = await send(from, DKIM);
      expect(sent.raw).toMatch(/^DKIM-Signature: /m);
      expect(sent.raw).toMatch(/\bd=desk\.example\.test;/);
      expect(sent.raw).toMatch(/\bs=dg2026;/);
      expect(dkimFailure(sent.raw, PUBLIC)).toBeNull();
      // A changed body or subject no longer verifies: the check is real.
      expect(dkimFailure(sent.raw.replace("it is fixed.", "it is broken."), PUBLIC)).toBe("body hash");
      expect(dkimFailure(sent.raw.replace("Your ticket", "Our ticket"), PUBLIC)).toBe("signature");
      const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
      expect(dkimFailure(sent.raw, other)).toBe("signature");
    }
  });

  it("leaves mail from tenants' own domains unsigned (their providers sign it) and everything unsigned without a key", async () => {
    expect((await send("support@example.org", DKIM)).raw).not.toMatch(/^DKIM-Signature:/m);
    expect((await send("support@notdesk.example.test", DKIM)).raw).not.toMatch(/^DKIM-Signature:/m);
    expect((await send("acme@desk.example.test", {})).raw).not.toMatch(/^DKIM-Signature:/m);
  });

  it("wants the domain, selector and key together, and a key that loads", () => {
    expect(() => emailOptions.parse({ EMAIL_DKIM_DOMAIN: "desk.example.test" })).toThrow(ConfigError);
    expect(() => emailOptions.parse({ ...DKIM, EMAIL_DKIM_PRIVATE_KEY: "not a key" })).toThrow(/EMAIL_DKIM_PRIVATE_KEY/);
    // An environment file's one-line PEM, with \n for its line breaks.
    const oneLine = emailOptions.parse({ ...DKIM, EMAIL_DKIM_PRIVATE_KEY: PRIVATE.replaceAll("\n", "\\n") });
    expect(oneLine.dkim?.privateKey).toBe(PRIVATE);
  });
});
