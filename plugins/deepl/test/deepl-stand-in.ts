import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * For tests: an HTTP server on 127.0.0.1 that answers like DeepL's API
 * (POST /v2/translate, form-encoded) and records every request, so that the
 * official SDK runs for real without the network. Its "translation" is the
 * text prefixed with the target language, placeholders untouched.
 */
interface RecordedRequest {
  path: string;
  authorization: string | undefined;
  raw: string;
  form: Record<string, string>;
}

export async function startDeepLStandIn(authKey: string) {
  const received: RecordedRequest[] = [];
  let failures = 0;
  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const form = Object.fromEntries(new URLSearchParams(raw));
    received.push({ path: req.url ?? "", authorization: req.headers.authorization, raw, form });
    if (req.headers.authorization !== `DeepL-Auth-Key ${authKey}`)
      return json(res, 403, { message: "Wrong endpoint or authentication key" });
    if (req.method !== "POST" || req.url !== "/v2/translate") return json(res, 404, { message: "Not found" });
    if (failures > 0) {
      failures--;
      return json(res, 503, { message: "Service unavailable" });
    }
    json(res, 200, {
      translations: [
        { detected_source_language: "DE", text: `[${form.target_lang}] ${form.text}`, billed_characters: form.text?.length ?? 0 },
      ],
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    failNext: (n: number) => (failures = n),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
