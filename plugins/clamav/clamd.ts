import { connect, type Socket } from "node:net";
import type { ClamdAddress } from "./options.js";

/**
 * clamd's INSTREAM command (clamd(8), "INSTREAM"), over one connection:
 *
 *   → "zINSTREAM\0"
 *   → chunks, each a 4-byte big-endian length and that many bytes
 *   → a zero length: the end of the file
 *   ← "stream: OK\0", "stream: <signature> FOUND\0" or "<reason> ERROR\0"
 *
 * The "z" prefix asks for NUL-terminated replies. clamd counts the bytes
 * against its StreamMaxLength and, past it, answers "INSTREAM size limit
 * exceeded. ERROR" and closes the connection while the file may still be
 * coming: the reply is what counts then, not the write that failed after it.
 */

/** Bytes per chunk sent: the blob store hands out 64 KiB, and larger pieces are split. */
const CHUNK_BYTES = 64 * 1024;
const CONNECT_TIMEOUT_MS = 5_000;
/** Longer than any reply clamd sends (a path and a signature name): a server that sends more is not clamd. */
const MAX_REPLY_BYTES = 4096;

/** clamd could not be reached or broke off without answering: the scan is tried again later. */
class ClamdUnavailable extends Error {
  readonly code = "SCANNER_UNAVAILABLE";
}

/** Sends `file` to clamd and returns its reply, without the trailing NUL. */
export async function instream(address: ClamdAddress, file: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<string> {
  signal.throwIfAborted();
  const socket = "socket" in address ? connect({ path: address.socket }) : connect({ host: address.host, port: address.port });
  const reply = readReply(socket);
  const abort = () => socket.destroy(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
  signal.addEventListener("abort", abort, { once: true });
  let sent = 0;
  try {
    await connected(socket);
    await send(socket, Buffer.from("zINSTREAM\0"));
    for await (const piece of file) {
      // clamd has answered already (its size limit): stop reading the file, the reply says why.
      if (reply.settled) break;
      for (let at = 0; at < piece.length && !reply.settled; at += CHUNK_BYTES) {
        await pollFirst();
        if (reply.settled) break;
        const chunk = piece.subarray(at, at + CHUNK_BYTES);
        const length = Buffer.alloc(4);
        length.writeUInt32BE(chunk.length);
        await send(socket, length);
        await send(socket, chunk);
        sent += chunk.length;
      }
    }
    if (!reply.settled) await send(socket, Buffer.alloc(4));
    return await withContext(reply.text, sent);
  } catch (err) {
    signal.throwIfAborted();
    // A write that failed because clamd answered and closed: its answer is the result.
    if (reply.settled) return await withContext(reply.text, sent);
    throw err;
  } finally {
    signal.removeEventListener("abort", abort);
    socket.destroy();
  }
}

/**
 * The reply, or why there is none. clamd closes a stream past its
 * StreamMaxLength right after answering, and the reset that follows can
 * overtake the answer (Node drops what a socket had not read when a write
 * fails): such a file then counts as not scanned yet, and the error says
 * what to check.
 */
async function withContext(reply: Promise<string>, sent: number): Promise<string> {
  try {
    return await reply;
  } catch (err) {
    if (!sent) throw err;
    throw new ClamdUnavailable(
      `clamd closed the connection after ${sent} bytes of the file without an answer (if it keeps doing so for large files, ` +
        `its StreamMaxLength is below CLAMAV_STREAM_MAX_BYTES): ${(err as Error).message}`,
    );
  }
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => socket.destroy(new ClamdUnavailable(`clamd did not accept a connection within ${CONNECT_TIMEOUT_MS} ms`)),
      CONNECT_TIMEOUT_MS,
    );
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.off("connect", ok).off("error", done);
      if (err) reject(unavailable(err));
      else resolve();
    };
    const ok = () => done();
    socket.once("connect", ok).once("error", done);
  });
}

/**
 * Lets the event loop read what arrived before the next write. When clamd has
 * answered and closed, a write makes the peer reset the connection, and Node
 * destroys a socket whose write fails without reading what is still buffered:
 * a write issued straight from the previous write's callback could lose the
 * reply. setImmediate runs after the loop's I/O poll, so the reply, which
 * arrives before any reset, is read first.
 */
const pollFirst = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Writes with backpressure; resolves early when the socket closes (clamd broke off: the reply decides). */
function send(socket: Socket, data: Buffer | Uint8Array): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  if (socket.write(data)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      socket.off("drain", done).off("close", done);
      resolve();
    };
    socket.once("drain", done).once("close", done);
  });
}

/** The reply, collected from the start (clamd may answer before the file is sent). */
function readReply(socket: Socket): { text: Promise<string>; readonly settled: boolean } {
  let settled = false;
  const parts: Buffer[] = [];
  let length = 0;
  const text = new Promise<string>((resolve, reject) => {
    const finish = (err?: Error) => {
      if (settled) return;
      const all = Buffer.concat(parts).toString("latin1");
      const end = all.indexOf("\0");
      if (end >= 0) {
        settled = true;
        resolve(all.slice(0, end).trim());
      } else if (err || socket.destroyed) {
        settled = true;
        reject(unavailable(err ?? new Error("clamd closed the connection without answering")));
      }
    };
    socket.on("data", (chunk: Buffer) => {
      parts.push(chunk);
      length += chunk.length;
      if (length > MAX_REPLY_BYTES) socket.destroy(new ClamdUnavailable("clamd's reply is too long: is this clamd?"));
      finish();
    });
    socket.on("error", finish);
    socket.on("close", () => finish());
  });
  // Read by the caller only when it needs the reply; a failure before that is reported there.
  text.catch(() => {});
  return {
    text,
    get settled() {
      return settled;
    },
  };
}

const unavailable = (err: Error) =>
  err instanceof ClamdUnavailable
    ? err
    : new ClamdUnavailable(`clamd cannot be reached: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
