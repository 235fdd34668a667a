import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { crc32 } from "node:zlib";

/**
 * For tests: an HTTP server on 127.0.0.1 that answers like Amazon S3's
 * documented REST API with path-style addressing (`/<bucket>/<key>`), for the
 * operations the plugin uses, so that the official SDK runs for real without
 * the network:
 *   HEAD   /b                          HeadBucket
 *   PUT    /b/k                        PutObject
 *   GET    /b/k, HEAD /b/k             GetObject, HeadObject
 *   DELETE /b/k                        DeleteObject (204 whether or not it existed)
 *   GET    /b?list-type=2              ListObjectsV2 (prefix, max-keys, continuation-token)
 *   POST   /b?delete                   DeleteObjects
 *   POST   /b/k?uploads                CreateMultipartUpload
 *   PUT    /b/k?partNumber&uploadId    UploadPart
 *   POST   /b/k?uploadId               CompleteMultipartUpload
 *   DELETE /b/k?uploadId               AbortMultipartUpload
 *   GET    /b?uploads                  ListMultipartUploads (prefix)
 * Every request must carry a valid AWS Signature Version 4 for the stand-in's
 * key pair and region (403 SignatureDoesNotMatch, InvalidAccessKeyId,
 * 400 AuthorizationHeaderMalformed otherwise), and a body whose
 * x-amz-checksum-crc32 or x-amz-content-sha256 does not match it is refused.
 * Like S3, a part other than the last must be at least 5 MiB. It records every
 * request (operation, server-side encryption headers, body size) and keeps
 * objects and unfinished uploads in memory, where tests look at them.
 */

export const MIN_PART = 5 * 1024 * 1024;

export interface StandInOptions {
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RecordedRequest {
  operation: string;
  key?: string;
  /** x-amz-server-side-encryption, and the KMS key id with aws:kms. */
  sse?: string;
  sseKmsKeyId?: string;
  /** Bytes of the request body. */
  bytes: number;
  partNumber?: number;
  /** What the client had produced when this request arrived (see onRequest). */
  note?: unknown;
}

interface StoredObject {
  body: Buffer;
  etag: string;
  sse: string | undefined;
  sseKmsKeyId: string | undefined;
  lastModified: Date;
}

interface Upload {
  key: string;
  sse: string | undefined;
  sseKmsKeyId: string | undefined;
  parts: Map<number, { body: Buffer; etag: string }>;
  initiated: Date;
}

type Failure = { operation: string; status: number; code: string; times: number };

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const xmlUnescape = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
const tags = (xml: string, name: string) => [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, "g"))].map((m) => m[1]!);
const etagOf = (body: Buffer) => `"${createHash("md5").update(body).digest("hex")}"`;
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();
/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export async function startS3StandIn(opts: StandInOptions) {
  const received: RecordedRequest[] = [];
  const objects = new Map<string, StoredObject>();
  const uploads = new Map<string, Upload>();
  const failures: Failure[] = [];
  let onRequest: ((r: RecordedRequest) => unknown) | undefined;

  const send = (res: ServerResponse, status: number, body = "", headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      "x-amz-request-id": randomBytes(8).toString("hex").toUpperCase(),
      ...(body ? { "content-type": "application/xml", "content-length": String(Buffer.byteLength(body)) } : {}),
      ...headers,
    });
    res.end(body);
  };
  const error = (res: ServerResponse, status: number, code: string, message: string, resource = "") =>
    send(
      res,
      status,
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><Resource>${xmlEscape(resource)}</Resource><RequestId>${randomBytes(8).toString("hex")}</RequestId></Error>`,
    );

  /** Checks the request's SigV4 Authorization header against the body read; null when it holds, else [status, code, message]. */
  function authProblem(req: IncomingMessage, url: URL, body: Buffer): [number, string, string] | null {
    const auth = req.headers.authorization ?? "";
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
        auth,
      );
    if (!m) return [403, "AccessDenied", "Access Denied: no AWS Signature Version 4"];
    const [, accessKeyId, date, region, signedHeaders, signature] = m;
    if (accessKeyId !== opts.accessKeyId)
      return [403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."];
    if (region !== opts.region)
      return [
        400,
        "AuthorizationHeaderMalformed",
        `The authorization header is malformed; the region '${region}' is wrong; expecting '${opts.region}'`,
      ];
    const payloadHash = String(req.headers["x-amz-content-sha256"] ?? "");
    if (payloadHash !== "UNSIGNED-PAYLOAD" && payloadHash !== sha256(body))
      return [400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."];
    const query = [...url.searchParams]
      .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
      .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join("&");
    const headers = signedHeaders!
      .split(";")
      .map(
        (h) =>
          `${h}:${String(req.headers[h] ?? "")
            .trim()
            .replace(/\s+/g, " ")}\n`,
      )
      .join("");
    const canonical = [req.method, url.pathname, query, headers, signedHeaders, payloadHash].join("\n");
    const scope = `${date}/${region}/s3/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", String(req.headers["x-amz-date"]), scope, sha256(canonical)].join("\n");
    let key = hmac(`AWS4${opts.secretAccessKey}`, date!);
    for (const part of [region!, "s3", "aws4_request"]) key = hmac(key, part);
    const expected = createHmac("sha256", key).update(toSign).digest();
    if (!timingSafeEqual(expected, Buffer.from(signature!, "hex")))
      return [403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."];
    return null;
  }

  /** A CRC32 checksum sent with the body must match it, as S3 checks. */
  function checksumProblem(req: IncomingMessage, body: Buffer): boolean {
    const sent = req.headers["x-amz-checksum-crc32"];
    if (typeof sent !== "string") return false;
    const computed = Buffer.alloc(4);
    computed.writeUInt32BE(crc32(body));
    return computed.toString("base64") !== sent;
  }

  const sseOf = (req: IncomingMessage) => ({
    sse: req.headers["x-amz-server-side-encryption"] as string | undefined,
    sseKmsKeyId: req.headers["x-amz-server-side-encryption-aws-kms-key-id"] as string | undefined,
  });
  const sseHeaders = (o: { sse?: string; sseKmsKeyId?: string }): Record<string, string> => ({
    ...(o.sse ? { "x-amz-server-side-encryption": o.sse } : {}),
    ...(o.sseKmsKeyId ? { "x-amz-server-side-encryption-aws-kms-key-id": o.sseKmsKeyId } : {}),
  });

  function operationOf(method: string, key: string | undefined, q: URLSearchParams): string {
    if (!key) {
      if (method === "HEAD") return "HeadBucket";
      if (method === "GET" && q.get("list-type") === "2") return "ListObjectsV2";
      if (method === "GET" && q.has("uploads")) return "ListMultipartUploads";
      if (method === "POST" && q.has("delete")) return "DeleteObjects";
      return "Unsupported";
    }
    if (method === "PUT") return q.has("uploadId") ? "UploadPart" : "PutObject";
    if (method === "GET") return "GetObject";
    if (method === "HEAD") return "HeadObject";
    if (method === "DELETE") return q.has("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
    if (method === "POST")
      return q.has("uploads") ? "CreateMultipartUpload" : q.has("uploadId") ? "CompleteMultipartUpload" : "Unsupported";
    return "Unsupported";
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://stand-in");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const [, bucket, ...rest] = url.pathname.split("/");
    const key = rest.length ? decodeURIComponent(rest.join("/")) : undefined;
    const q = url.searchParams;
    const operation = operationOf(req.method ?? "", key, q);
    const record: RecordedRequest = { operation, key, ...sseOf(req), bytes: body.length };
    if (operation === "UploadPart") record.partNumber = Number(q.get("partNumber"));
    received.push(record);
    record.note = onRequest?.(record);

    const problem = authProblem(req, url, body);
    if (problem) return error(res, ...problem);
    if (operation === "Unsupported") return error(res, 501, "NotImplemented", `${req.method} ${url.pathname}${url.search}`);
    if (bucket !== opts.bucket) return error(res, 404, "NoSuchBucket", "The specified bucket does not exist", `/${bucket}`);
    const failure = failures.find((f) => f.operation === operation);
    if (failure) {
      if (--failure.times <= 0) failures.splice(failures.indexOf(failure), 1);
      return error(res, failure.status, failure.code, `failing ${operation} as the test asked`);
    }
    if (checksumProblem(req, body)) return error(res, 400, "BadDigest", "The CRC32 you specified did not match the calculated checksum.");

    switch (operation) {
      case "HeadBucket":
        return send(res, 200, "", { "x-amz-bucket-region": opts.region });
      case "PutObject": {
        const stored = { body, etag: etagOf(body), ...sseOf(req), lastModified: new Date() };
        objects.set(key!, stored);
        return send(res, 200, "", { etag: stored.etag, ...sseHeaders(stored) });
      }
      case "GetObject":
      case "HeadObject": {
        const found = objects.get(key!);
        if (!found) {
          if (operation === "HeadObject") return send(res, 404);
          return error(res, 404, "NoSuchKey", "The specified key does not exist.", key);
        }
        res.writeHead(200, {
          "content-type": "application/octet-stream",
          "content-length": String(found.body.length),
          etag: found.etag,
          "last-modified": found.lastModified.toUTCString(),
          ...sseHeaders(found),
        });
        return res.end(operation === "GetObject" ? found.body : undefined);
      }
      case "DeleteObject":
        objects.delete(key!);
        return send(res, 204);
      case "ListObjectsV2": {
        const prefix = q.get("prefix") ?? "";
        const max = Math.min(Number(q.get("max-keys") ?? 1000), 1000);
        const after = q.get("continuation-token") ? Buffer.from(q.get("continuation-token")!, "base64url").toString() : "";
        const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
        const page = keys.slice(0, max);
        const truncated = keys.length > max;
        const contents = page
          .map(
            (k) =>
              `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${objects.get(k)!.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(objects.get(k)!.etag)}</ETag><Size>${objects.get(k)!.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
          )
          .join("");
        const next = truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1)!).toString("base64url")}</NextContinuationToken>` : "";
        return send(
          res,
          200,
          `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
        );
      }
      case "DeleteObjects": {
        // S3 refuses a multi-object delete without an integrity header.
        if (!req.headers["content-md5"] && !Object.keys(req.headers).some((h) => h.startsWith("x-amz-checksum-")))
          return error(res, 400, "InvalidRequest", "Missing required header for this request: Content-MD5");
        const xml = body.toString("utf8");
        const keys = tags(xml, "Key").map(xmlUnescape);
        if (keys.length > 1000) return error(res, 400, "MalformedXML", "More than 1000 keys");
        const quiet = tags(xml, "Quiet")[0] === "true";
        for (const k of keys) objects.delete(k);
        const deleted = quiet ? "" : keys.map((k) => `<Deleted><Key>${xmlEscape(k)}</Key></Deleted>`).join("");
        return send(
          res,
          200,
          `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${deleted}</DeleteResult>`,
        );
      }
      case "CreateMultipartUpload": {
        const uploadId = randomBytes(24).toString("base64url");
        uploads.set(uploadId, { key: key!, ...sseOf(req), parts: new Map(), initiated: new Date() });
        return send(
          res,
          200,
          `<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${bucket}</Bucket><Key>${xmlEscape(key!)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
          sseHeaders(sseOf(req)),
        );
      }
      case "UploadPart": {
        const upload = uploads.get(q.get("uploadId")!);
        if (!upload || upload.key !== key) return error(res, 404, "NoSuchUpload", "The specified upload does not exist.", key);
        const partNumber = Number(q.get("partNumber"));
        if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000)
          return error(res, 400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
        const part = { body, etag: etagOf(body) };
        upload.parts.set(partNumber, part);
        return send(res, 200, "", { etag: part.etag, ...sseHeaders(upload) });
      }
      case "CompleteMultipartUpload": {
        const uploadId = q.get("uploadId")!;
        const upload = uploads.get(uploadId);
        if (!upload || upload.key !== key) return error(res, 404, "NoSuchUpload", "The specified upload does not exist.", key);
        const xml = body.toString("utf8");
        const listed = tags(xml, "Part").map((p) => ({
          number: Number(tags(p, "PartNumber")[0]),
          etag: xmlUnescape(tags(p, "ETag")[0] ?? ""),
        }));
        if (!listed.length) return error(res, 400, "MalformedXML", "The XML you provided was not well-formed");
        const pieces: Buffer[] = [];
        for (const [i, p] of listed.entries()) {
          if (i > 0 && p.number <= listed[i - 1]!.number)
            return error(res, 400, "InvalidPartOrder", "The list of parts was not in ascending order.");
          const part = upload.parts.get(p.number);
          if (!part || part.etag !== p.etag)
            return error(res, 400, "InvalidPart", "One or more of the specified parts could not be found.");
          if (i < listed.length - 1 && part.body.length < MIN_PART)
            return error(res, 400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.");
          pieces.push(part.body);
        }
        const whole = Buffer.concat(pieces);
        const etag = `"${createHash("md5")
          .update(Buffer.concat(pieces.map((p) => createHash("md5").update(p).digest())))
          .digest("hex")}-${pieces.length}"`;
        objects.set(key!, { body: whole, etag, sse: upload.sse, sseKmsKeyId: upload.sseKmsKeyId, lastModified: new Date() });
        uploads.delete(uploadId);
        return send(
          res,
          200,
          `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://stand-in/${bucket}/${xmlEscape(key!)}</Location><Bucket>${bucket}</Bucket><Key>${xmlEscape(key!)}</Key><ETag>${xmlEscape(etag)}</ETag></CompleteMultipartUploadResult>`,
          sseHeaders(upload),
        );
      }
      case "AbortMultipartUpload": {
        const uploadId = q.get("uploadId")!;
        if (!uploads.get(uploadId)) return error(res, 404, "NoSuchUpload", "The specified upload does not exist.", key);
        uploads.delete(uploadId);
        return send(res, 204);
      }
      case "ListMultipartUploads": {
        const prefix = q.get("prefix") ?? "";
        const found = [...uploads.entries()].filter(([, u]) => u.key.startsWith(prefix)).sort(([, a], [, b]) => (a.key < b.key ? -1 : 1));
        const entries = found
          .map(
            ([id, u]) =>
              `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${id}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated></Upload>`,
          )
          .join("");
        return send(
          res,
          200,
          `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${bucket}</Bucket><Prefix>${xmlEscape(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${entries}</ListMultipartUploadsResult>`,
        );
      }
    }
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    objects,
    uploads,
    /** Keys of the stored objects, sorted. */
    keys: () => [...objects.keys()].sort(),
    /** Answers the next `times` requests of `operation` with an S3 error. */
    fail(operation: string, status: number, code: string, times = 1) {
      failures.push({ operation, status, code, times });
    },
    /** Forgets the failures asked for and not used up. */
    heal() {
      failures.length = 0;
    },
    /** Called as each request arrives (before it is answered); what it returns is kept as the record's `note`. */
    onRequest(listener: ((r: RecordedRequest) => unknown) | undefined) {
      onRequest = listener;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type S3StandIn = Awaited<ReturnType<typeof startS3StandIn>>;
