import SchemaBuilder from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import DirectivesPlugin from "@pothos/plugin-directives";
import RelayPlugin, { decodeGlobalID } from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import "@pothos/plugin-validation";
import { getNullableType, isListType } from "graphql";
import type PrismaTypes from "../generated/pothos-prisma-types.js";
import { getDatamodel } from "../generated/pothos-prisma-types.js";
import type { Permission } from "../auth/permissions.js";
import PrivacyPlugin from "../privacy/privacy-pothos.js";
import PrismaColumnsPlugin from "./prisma-columns-pothos.js";
import { AppError, validationError } from "../errors.js";
import { validationAllIssues } from "./validation-pothos.js";
import type { Context } from "../context.js";
import { UUID_PATTERN } from "../constants.js";

/** Pothos's page size when a connection gets neither `first` nor `last`. */
const DEFAULT_PAGE_SIZE = 20;

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  AuthScopes: {
    authenticated: boolean;
    agent: boolean;
    permission: Permission;
    anyPermission: Permission[];
    operator: boolean;
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    Upload: { Input: File; Output: never };
    ID: { Input: string; Output: string | number };
  };
  Directives: {
    personalData: { locations: "FIELD_DEFINITION"; args: { category: string } };
    consent: { locations: "FIELD_DEFINITION"; args: { purpose: string } };
  };
}>({
  defaultFieldNullability: false,
  // Keyed by name, the form printSchemaWithDirectives prints.
  directives: { useGraphQLToolsUnorderedDirectives: true },
  plugins: [
    ScopeAuthPlugin,
    DirectivesPlugin,
    // Pothos's validation plugin, reporting every invalid field at once instead of the first.
    validationAllIssues,
    ComplexityPlugin,
    RelayPlugin,
    // The Prisma plugin, reading exposed columns off their rows (see the file).
    PrismaColumnsPlugin,
    PrivacyPlugin,
  ],
  scopeAuth: {
    // A subscription's scopes are checked once, when it starts: a caller without them is refused
    // at once (instead of getting an error per event on a stream that stays open), and the events
    // do not each pay for the check. Revoked credentials end streams (src/events/credentials.ts).
    authorizeOnSubscribe: true,
    authScopes: async (ctx) => ({
      authenticated: ctx.viewer !== null,
      agent: ctx.viewer?.kind === "agent",
      permission: (p) => ctx.can(p),
      anyPermission: (ps) => ps.some((p) => ctx.can(p)),
      operator: ctx.operator === true,
    }),
    unauthorizedError: (_parent, ctx, info, result) =>
      ctx.viewer
        ? new AppError(
            "FORBIDDEN",
            // The plugin's default names the field ("Not authorized to resolve Query.plugins"); say it plainly.
            result.message.startsWith("Not authorized")
              ? `You are not allowed to see or do this: ${info.parentType.name}.${info.fieldName}`
              : result.message,
          )
        : new AppError("UNAUTHENTICATED", ctx.authFailure ?? "Sign in or send an API key"),
  },
  validation: {
    validationError: (failure) =>
      validationError(
        failure.issues.map((i) => ({
          path: (i.path ?? []).map((p) => (typeof p === "object" ? (p.key as string | number) : (p as string | number))),
          message: i.message,
        })),
      ),
  },
  complexity: {
    // Lists count ×10. A connection counts once per item asked for (`first`/`last`, else the
    // default page of 20), so its `edges` list must not multiply a second time.
    fieldComplexity: (args, _ctx, field) => {
      if (field.args.some((a) => a.name === "first")) {
        return { field: 1, multiplier: Math.max(1, Number(args.first ?? args.last ?? DEFAULT_PAGE_SIZE)) };
      }
      if (field.name === "edges") return { field: 1, multiplier: 1 };
      return isListType(getNullableType(field.type)) ? { field: 1, multiplier: 10 } : 1;
    },
    limit: (ctx) => ctx.config.limits,
    complexityError: (kind, r) => {
      const [actual, max] =
        kind === "Depth" ? [r.depth, r.maxDepth] : kind === "Breadth" ? [r.breadth, r.maxBreadth] : [r.complexity, r.maxComplexity];
      return new AppError("QUERY_TOO_COMPLEX", `Query ${kind.toLowerCase()} ${actual} exceeds the limit of ${max}`, {
        kind: kind.toUpperCase(),
        actual,
        max,
      });
    },
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    nodeQueryOptions: {
      authScopes: { authenticated: true },
      description: "Any object by its global ID; null when missing or not visible to the caller.",
    },
    nodesQueryOptions: false,
    // Every node's id is a UUID column: anything else is bad input, not a database error.
    decodeGlobalID: (globalID) => {
      const decoded = decodeGlobalID(globalID);
      if (!UUID_PATTERN.test(decoded.id)) throw new AppError("VALIDATION", `Invalid global ID: ${globalID}`);
      return decoded;
    },
  },
  prisma: {
    client: (ctx) => ctx.db as never,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    // Pages hold at most 100 items (larger `first` values are cut to 100); 20 when not asked.
    maxConnectionSize: 100,
    defaultConnectionSize: 20,
    // Mutation payloads load their relations through batched fallbacks; the
    // query-count test guards the lists, where planning matters.
    onUnusedQuery: null,
  },
});

builder.queryType({});
builder.mutationType({});

builder.scalarType("DateTime", {
  description: "An ISO-8601 timestamp in UTC",
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: (value) => {
    const date = typeof value === "string" ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime())) throw new AppError("VALIDATION", "DateTime must be an ISO-8601 string");
    return date;
  },
});

builder.scalarType("JSON", {
  description: "Any JSON value",
  serialize: (value) => value,
  parseValue: (value) => value,
});

export const SortDirection = builder.enumType("SortDirection", { values: ["ASC", "DESC"] as const });
