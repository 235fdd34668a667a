import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * For tests: an HTTP server on 127.0.0.1 that answers like Twilio's documented
 * Messages API (2010-04-01) and records every request, so that the official
 * SDK can run for real without the network.
 *   POST   /2010-04-01/Accounts/{AccountSid}/Messages.json        → 201, a Message resource
 *   DELETE /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json  → 204, or 404 (Twilio error 20404)
 * Wrong Basic credentials → 401 (Twilio error 20003).
 */
interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  form: Record<string, string>;
}

export interface TwilioError {
  status: number;
  code: number;
  message: string;
}

export async function startTwilioApi(accounts: Map<string, string> = new Map()) {
  const received: RecordedRequest[] = [];
  const messages = new Map<string, Record<string, unknown>>();
  const failures: TwilioError[] = [];
  let pause: { arrived: (m: { sid: string; form: Record<string, string> }) => void; released: Promise<void> } | null = null;

  const error = (res: ServerResponse, e: TwilioError) =>
    json(res, e.status, { code: e.code, message: e.message, more_info: `https://www.twilio.com/docs/errors/${e.code}`, status: e.status });

  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const path = req.url ?? "";
    received.push({
      method: req.method ?? "",
      path,
      authorization: req.headers.authorization,
      form: Object.fromEntries(new URLSearchParams(raw)),
    });

    const route = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Messages(?:\/(\w+))?\.json$/.exec(path);
    if (!route) return error(res, { status: 404, code: 20404, message: "The requested resource was not found" });
    const [, accountSid, sid] = route;
    const token = accounts.get(accountSid!);
    const expected = token && `Basic ${Buffer.from(`${accountSid}:${token}`).toString("base64")}`;
    if (!expected || req.headers.authorization !== expected) return error(res, { status: 401, code: 20003, message: "Authenticate" });

    if (req.method === "POST" && !sid) {
      const failure = failures.shift();
      if (failure) return error(res, failure);
      const form = received.at(-1)!.form;
      const newSid = `SM${randomBytes(16).toString("hex")}`;
      const now = new Date().toUTCString().replace("GMT", "+0000");
      const message = {
        account_sid: accountSid,
        api_version: "2010-04-01",
        body: form.Body,
        date_created: now,
        date_sent: null,
        date_updated: now,
        direction: "outbound-api",
        error_code: null,
        error_message: null,
        from: form.From,
        messaging_service_sid: null,
        num_media: "0",
        num_segments: "1",
        price: null,
        price_unit: "USD",
        sid: newSid,
        status: "queued",
        subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${newSid}/Media.json` },
        to: form.To,
        uri: `/2010-04-01/Accounts/${accountSid}/Messages/${newSid}.json`,
      };
      messages.set(newSid, message);
      if (pause) {
        const p = pause;
        pause = null;
        p.arrived({ sid: newSid, form });
        await p.released;
      }
      return json(res, 201, message);
    }
    if (req.method === "DELETE" && sid) {
      if (!messages.delete(sid))
        return error(res, {
          status: 404,
          code: 20404,
          message: `The requested resource /2010-04-01/Accounts/${accountSid}/Messages/${sid}.json was not found`,
        });
      res.writeHead(204).end();
      return;
    }
    return error(res, { status: 405, code: 20004, message: "Method not allowed" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    /** Messages Twilio holds, by sid: what an erasure must remove. */
    messages,
    /** Gives an account its credentials. */
    account: (accountSid: string, authToken: string) => accounts.set(accountSid, authToken),
    /** The next send is answered with this error, as Twilio would. */
    failNext: (e: TwilioError) => failures.push(e),
    /** Holds the answer to the next send until released: Twilio is slow, its status callback fast. */
    pauseNext() {
      let arrived!: (m: { sid: string; form: Record<string, string> }) => void;
      let release!: () => void;
      const seen = new Promise<{ sid: string; form: Record<string, string> }>((r) => (arrived = r));
      pause = { arrived, released: new Promise<void>((r) => (release = r)) };
      return { arrived: seen, release };
    },
    /** A message Twilio holds without us having sent it (an inbound one). */
    hold: (sid: string) => messages.set(sid, { sid, direction: "inbound" }),
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
