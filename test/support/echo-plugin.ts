import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { PluginDefinition } from "../../src/plugin-host/plugin.js";

/** A vendor API on 127.0.0.1 that records what it receives. */
export async function startVendor() {
  const received: { path: string; body: any; authorization?: string; headers: IncomingMessage["headers"] }[] = [];
  let failNext = 0;
  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    received.push({
      path: req.url ?? "",
      body: raw ? JSON.parse(raw) : null,
      authorization: req.headers.authorization,
      headers: req.headers,
    });
    if (failNext > 0) {
      failNext--;
      res.writeHead(503).end("unavailable");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    failNext: (n: number) => (failNext = n),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * A plugin used by the tests: its "vendor" processes in the US under SCCs,
 * receives message bodies for AI assistance, keeps them 30 days, and can
 * erase them.
 */
export function echoPlugin(overrides: Partial<PluginDefinition["manifest"]> = {}): PluginDefinition {
  return {
    manifest: {
      id: "test-echo",
      name: "Echo assistant",
      version: "1.0.0",
      description: "Sends new messages to an assistant that echoes them (tests only)",
      vendor: { legalName: "Echo Test Inc.", country: "US" },
      processingLocations: ["US"],
      transferMechanism: "SCC",
      dataCategories: ["user.content.message"],
      purposes: [{ purpose: "ai.assistance", legalBasis: "LEGITIMATE_INTEREST" }],
      retention: { kind: "DAYS", days: 30 },
      dpaUrl: "https://echo.example/dpa",
      config: [
        { key: "endpoint", label: "API endpoint", secret: false, required: true },
        { key: "apiKey", label: "API key", secret: true, required: true },
      ],
      storesData: true,
      trainsOnCustomerData: false,
      ...overrides,
    },
    async onMessageCreated(runtime, event) {
      const message = await runtime.core.db.message.findUniqueOrThrow({ where: { id: event.messageId }, include: { ticket: true } });
      await runtime.call(
        { operation: "assist", purpose: "ai.assistance", categories: ["user.content.message"], subjectIds: [message.ticket.requesterId] },
        async () => {
          const res = await fetch(`${runtime.settings.endpoint}/assist`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${runtime.settings.apiKey}` },
            body: JSON.stringify({ messageId: event.messageId, text: message.body }),
          });
          if (!res.ok) throw Object.assign(new Error(`vendor answered ${res.status}`), { code: "VENDOR_UNAVAILABLE" });
        },
      );
    },
    async erase(runtime, subject) {
      await runtime.call(
        { operation: "erase", purpose: "ai.assistance", categories: ["user.content.message"], subjectIds: [] },
        async () => {
          await fetch(`${runtime.settings.endpoint}/erase`, { method: "POST", body: JSON.stringify({ contactId: subject.contactId }) });
        },
      );
      return { store: "Echo assistant (vendor)", deleted: 1 };
    },
    async handleHttp(_runtime, request) {
      return { status: 200, contentType: "text/plain", body: `echo ${request.path}` };
    },
  };
}
