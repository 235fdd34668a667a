import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";

const tooLarge = () =>
  new GraphQLError("Request body too large", { extensions: { code: "REQUEST_ENTITY_TOO_LARGE", http: { status: 413 } } });

/** One non-negative integer: anything else (a list, a sign) is refused rather than skipped. */
const CONTENT_LENGTH = /^\d+$/;

/**
 * A request body over `limit` bytes is refused with 413 REQUEST_ENTITY_TOO_LARGE
 * and never read whole, as yoga's own limit refuses it, with its message and
 * code. A body that declares its length is judged by that alone: Node's HTTP
 * parser hands over exactly Content-Length bytes, no more. Yoga's limit also
 * piped every such body through a counting stream (a Node pipeline, an
 * AbortController and the DOMException its end raises, per request): 12 % of
 * the server's time on a `{ __typename }` request. A body without a length
 * (chunked) is still counted as it streams in and refused once it passes.
 * Must come after the request parsers (yoga's are registered before any
 * plugin of ours): it wraps the one that was chosen.
 */
export function bodyLimit(limit: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const length = request.headers.get("content-length");
      if (length !== null) {
        if (!CONTENT_LENGTH.test(length)) {
          throw new GraphQLError("Content-Length header is invalid.", { extensions: { code: "BAD_REQUEST", http: { status: 400 } } });
        }
        if (Number(length) > limit) throw tooLarge();
        return;
      }
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((req) => parse(counted(req, limit, fetchAPI)));
    },
  };
}

/** The request, its body refused as it streams once more than `limit` bytes came. */
function counted(request: Request, limit: number, fetchAPI: { TransformStream: typeof TransformStream; Request: typeof Request }): Request {
  let bytes = 0;
  // A native stream pipes only through a native TransformStream, the server's own through its own.
  const Transform = request.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  const body = request.body!.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        if (bytes > limit) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body,
    duplex: "half",
  } as RequestInit);
}
