import http from "node:http";
import https from "node:https";
import { ADDRESS_NOT_ALLOWED, type OutboundGuard } from "../outbound/guard.js";

export interface SendResult {
  /** The HTTP status, when the endpoint answered. */
  status?: number;
  /** Why it did not count as delivered, in words for the delivery log. */
  error?: string;
  /** Whether the body went out (the receiver may have it even if the attempt failed). */
  sent: boolean;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs one webhook. The address is checked again here (the name may resolve
 * elsewhere now than at registration), on the very answer the socket
 * connects to: the agents are the outbound guard's. Redirects are not
 * followed; anything but 2xx is a failure.
 */
export class WebhookSender {
  private readonly agents: { "http:": http.Agent; "https:": https.Agent };

  constructor(
    guard: OutboundGuard,
    private readonly options: { timeoutMs: number },
  ) {
    this.agents = {
      "http:": guard.httpAgent({ keepAlive: true, maxSockets: 8 }),
      "https:": guard.httpsAgent({ keepAlive: true, maxSockets: 8 }),
    };
  }

  async send(endpoint: string, headers: Record<string, string>, body: string, signal?: AbortSignal): Promise<SendResult> {
    const url = new URL(endpoint);
    if (url.protocol !== "http:" && url.protocol !== "https:") return { error: `Unsupported scheme ${url.protocol}`, sent: false };
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const abort = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const client = url.protocol === "https:" ? https : http;
    let sent = false;
    return new Promise<Omit<SendResult, "sent">>((resolve) => {
      const req = client.request(
        url,
        {
          method: "POST",
          agent: this.agents[url.protocol as "http:" | "https:"],
          signal: abort,
          headers: {
            ...headers,
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            "user-agent": "Deskgraph-Webhooks/1",
          },
        },
        (res) => {
          let received = 0;
          res.on("data", (chunk: Buffer) => {
            received += chunk.length;
            if (received > MAX_RESPONSE_BYTES) res.destroy();
          });
          const done = () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve({ status });
            else if (status >= 300 && status < 400) resolve({ status, error: `HTTP ${status}: redirects are not followed` });
            else resolve({ status, error: `HTTP ${status}` });
          };
          res.on("end", done);
          res.on("close", done);
          res.on("error", done);
        },
      );
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (timeout.aborted) resolve({ error: `No answer within ${this.options.timeoutMs} ms` });
        else if (signal?.aborted) resolve({ error: "Interrupted: the server is shutting down" });
        else if (err.code === ADDRESS_NOT_ALLOWED) resolve({ error: err.message });
        else resolve({ error: err.code ? `${err.code}: ${err.message}` : err.message });
      });
      req.on("finish", () => (sent = true));
      req.end(body);
    }).then((result) => ({ ...result, sent }));
  }

  close(): void {
    this.agents["http:"].destroy();
    this.agents["https:"].destroy();
  }
}
