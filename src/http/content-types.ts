import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import { AppError } from "../errors.js";

/** The one body type of the GraphQL-over-HTTP spec. */
const JSON_BODY = /^application\/json\s*(;|$)/i;

/** A file upload (the GraphQL multipart request spec). */
const MULTIPART_BODY = /^multipart\/form-data\s*(;|$)/i;

/**
 * Headers a page on another site cannot make a browser send without asking
 * first (a CORS preflight): the ones upload clients send for that reason.
 */
const PREFLIGHT_HEADERS = ["graphql-require-preflight", "apollo-require-preflight", "x-graphql-yoga-csrf"];

/**
 * Only GraphQL over HTTP runs operations: a POST with a JSON body, or a GET for
 * a query. Form, multipart and text/plain bodies are what a page on another
 * site can make a browser send without a CORS preflight, so they could run a
 * mutation on behalf of whoever opened that page (CSRF): they are refused with
 * 415 before the body is read. A JSON body always needs a preflight, which the
 * CORS allow-list answers. A multipart body (a file upload) is taken only with
 * one of PREFLIGHT_HEADERS, which needs a preflight too.
 */
export function graphqlOverHttpOnly(): Plugin {
  return {
    onRequestParse({ request }) {
      if (request.method !== "POST") return;
      const type = request.headers.get("content-type") ?? "";
      if (JSON_BODY.test(type)) return;
      if (MULTIPART_BODY.test(type)) {
        if (PREFLIGHT_HEADERS.some((h) => request.headers.has(h))) return;
        throw new AppError(
          "UNSUPPORTED_MEDIA_TYPE",
          `A multipart POST (a file upload) needs one of the headers ${PREFLIGHT_HEADERS.join(", ")}, so that browsers ask first`,
          { http: { status: 415 } },
        );
      }
      throw new AppError(
        "UNSUPPORTED_MEDIA_TYPE",
        `POST /graphql takes a JSON body (Content-Type: application/json), or multipart/form-data for a file upload${type ? `, not ${type.split(";")[0]}` : ""}`,
        { http: { status: 415 } },
      );
    },
    onParse() {
      // Over HTTP, GET runs queries only: mutations and subscriptions are POSTed (yoga
      // refuses a mutation over GET too; this says it for both, with our code).
      return ({ result, context }) => {
        const request = (context as { request?: Request }).request;
        if (request?.method !== "GET" || !result || result instanceof Error) return;
        const operationName = (context as { params?: { operationName?: string } }).params?.operationName;
        const kind = getOperationAST(result, operationName)?.operation;
        if (kind && kind !== "query") {
          throw new AppError("METHOD_NOT_ALLOWED", `A ${kind} is sent with POST; GET runs queries only`, {
            http: { status: 405, headers: { allow: "POST" } },
          });
        }
      };
    },
  };
}
