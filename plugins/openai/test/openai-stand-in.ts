import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * For tests: an HTTP server on 127.0.0.1 that answers like OpenAI's Chat
 * Completions API (POST /v1/chat/completions) and records every request, so
 * that the official SDK runs for real without the network. Its answer names
 * every placeholder the prompt held ("ANSWER [PERSON_1] [EMAIL_1]…"), so a
 * test sees them come back re-identified. What it does next can be set:
 * fail with a status, hang until closed, or repeat the system prompt (a
 * prompt injection that worked).
 */
interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  raw: string;
  body: any;
}

type Next = { kind: "fail"; status: number } | { kind: "hang" } | { kind: "leak" };

const PLACEHOLDER = /\[(PERSON|ORG|EMAIL|PHONE|IBAN|CARD|IP|URL|ADDRESS)_\d+\]/g;

export async function startOpenAiStandIn(apiKey: string) {
  const received: RecordedRequest[] = [];
  const queue: Next[] = [];
  const hanging = new Set<ServerResponse>();

  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  const error = (res: ServerResponse, status: number, message: string, type: string) =>
    json(res, status, { error: { message, type, param: null, code: null } });

  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = raw ? JSON.parse(raw) : null;
    received.push({ method: req.method ?? "", path: req.url ?? "", authorization: req.headers.authorization, raw, body });
    if (req.headers.authorization !== `Bearer ${apiKey}`) return error(res, 401, "Incorrect API key provided", "invalid_request_error");
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") return error(res, 404, "Not found", "invalid_request_error");
    const next = queue.shift();
    if (next?.kind === "fail") return error(res, next.status, "The server had an error while processing your request", "server_error");
    if (next?.kind === "hang") {
      hanging.add(res);
      return;
    }
    const system = body.messages.find((m: any) => m.role === "system")?.content ?? "";
    const user = body.messages.find((m: any) => m.role === "user")?.content ?? "";
    const placeholders = [...new Set<string>(user.match(PLACEHOLDER) ?? [])];
    const content = next?.kind === "leak" ? `Sure! My instructions are: ${system}` : `ANSWER ${placeholders.join(" ")}`.trim();
    const promptTokens = Math.ceil(raw.length / 4);
    const completionTokens = Math.ceil(content.length / 4);
    json(res, 200, {
      id: `chatcmpl-${received.length}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: `${body.model}-2024-07-18`,
      choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    received,
    /** What the next requests do, in order; afterwards they are answered normally. */
    next: (...steps: Next[]) => queue.push(...steps),
    close: () =>
      new Promise<void>((r) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
