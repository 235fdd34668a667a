import {
  getArgumentValues,
  getDirectiveValues,
  getNullableType,
  getOperationAST,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isInputObjectType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLInputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { decodeGlobalID } from "@pothos/plugin-relay";
import type { Context } from "../context.js";
import { actorOf } from "../auth/actor.js";
import { appendAudit, type AuditFields, type AuditInput } from "./service.js";
import { UUID_PATTERN } from "../constants.js";

interface NodeId {
  type: string;
  id: string;
}

/** The fragments a document defines, by name. */
export function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  return fragments;
}

/** The root fields an operation runs, in order, with @skip/@include applied. */
export function rootFields(
  selectionSet: SelectionSetNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  out = new Map<string, FieldNode>(),
  seen = new Set<string>(),
): Map<string, FieldNode> {
  for (const selection of selectionSet.selections) {
    if (getDirectiveValues(GraphQLSkipDirective, selection, variables)?.if === true) continue;
    if (getDirectiveValues(GraphQLIncludeDirective, selection, variables)?.if === false) continue;
    if (selection.kind === Kind.FIELD) {
      const key = selection.alias?.value ?? selection.name.value;
      if (!out.has(key)) out.set(key, selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      rootFields(selection.selectionSet, fragments, variables, out, seen);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments[selection.name.value];
      if (fragment) rootFields(fragment.selectionSet, fragments, variables, out, seen);
    }
  }
  return out;
}

/** A global ID of a type in the schema, decoded; anything else is left out (it may be personal data). */
function decodeNodeId(schema: GraphQLSchema, value: unknown): NodeId | null {
  if (typeof value !== "string") return null;
  try {
    const { typename, id } = decodeGlobalID(value);
    return isObjectType(schema.getType(typename)) && UUID_PATTERN.test(id) ? { type: typename, id } : null;
  } catch {
    return null;
  }
}

/** Every ID-typed argument value, however deep in input objects and lists. Other values are never looked at. */
function idsIn(schema: GraphQLSchema, type: GraphQLInputType, value: unknown, out: NodeId[]): void {
  if (value === null || value === undefined) return;
  const t = getNullableType(type);
  if (isListType(t)) {
    for (const item of Array.isArray(value) ? value : [value]) idsIn(schema, t.ofType as GraphQLInputType, item, out);
  } else if (isInputObjectType(t)) {
    for (const field of Object.values(t.getFields())) idsIn(schema, field.type, (value as Record<string, unknown>)[field.name], out);
  } else if (t.name === "ID") {
    const node = decodeNodeId(schema, value);
    if (node && !out.some((o) => o.type === node.type && o.id === node.id)) out.push(node);
  }
}

const codeOf = (err: GraphQLError) => (typeof err.extensions?.code === "string" ? err.extensions.code : "INTERNAL_SERVER_ERROR");

/**
 * One entry per root mutation field that ran. A mutation fails when its own
 * resolver throws (an error at its path); errors deeper down are in reading
 * the payload, after the change was made. Mutations run one after another and
 * stop at a failure that nulls the whole result, so when `data` is null the
 * last field with an error is the last one that ran.
 */
function mutationEntries(
  schema: GraphQLSchema,
  fields: Map<string, FieldNode>,
  variables: Record<string, unknown>,
  result: ExecutionResult,
): AuditFields[] {
  const mutationType = schema.getMutationType();
  if (!mutationType) return [];
  const errorsAt = (key: string) => (result.errors ?? []).filter((e) => e.path?.[0] === key);
  const keys = [...fields.keys()];
  const ran = result.data ? keys : keys.slice(0, Math.max(...keys.map((k, i) => (errorsAt(k).length ? i : -1))) + 1);
  return ran.flatMap((key) => {
    const node = fields.get(key)!;
    const def = mutationType.getFields()[node.name.value];
    if (!def) return [];
    const ids: NodeId[] = [];
    try {
      const args = getArgumentValues(def, node, variables);
      for (const arg of def.args) idsIn(schema, arg.type, args[arg.name], ids);
    } catch {
      // Arguments that do not coerce never reached the resolver; the error says so.
    }
    const own = errorsAt(key).find((e) => e.path?.length === 1);
    const contacts = ids.filter((i) => i.type === "Contact");
    return [
      {
        action: `mutation.${def.name}`,
        ...(contacts.length === 1 ? { subjectType: "Contact", subjectId: contacts[0]!.id } : {}),
        details: { outcome: own ? "FAILURE" : "SUCCESS", ...(own ? { errorCode: codeOf(own) } : {}), ids: ids.map((i) => ({ ...i })) },
      },
    ];
  });
}

/**
 * One entry for all the personal data this request read: every subject in
 * `subjectIds`, the union of categories, and each subject's own categories in
 * details.subjects. One row per request keeps a page of fifty requesters one
 * small insert. `more` adds to details (a subscription's window).
 */
export function readEntries(ctx: Context, fieldNames: string[], more: Record<string, unknown> = {}): AuditFields[] {
  const reads = [...ctx.privacy.bySubject.values()].sort((a, b) =>
    a.subject.id < b.subject.id ? -1 : a.subject.id > b.subject.id ? 1 : 0,
  );
  if (!reads.length) return [];
  const only = reads.length === 1 ? reads[0]!.subject : null;
  return [
    {
      action: "personalData.read",
      ...(only ? { subjectType: only.type, subjectId: only.id } : {}),
      subjectIds: reads.map((r) => r.subject.id),
      categories: [...new Set(reads.flatMap((r) => [...r.categories]))],
      details: {
        rootFields: fieldNames,
        ...more,
        subjects: Object.fromEntries(
          reads.map(({ subject, categories }) => [subject.id, { type: subject.type, categories: [...categories].sort() }]),
        ),
      },
    },
  ];
}

/** The tenant and actor to record under: the viewer's, or the agent who just signed in. */
async function whoActed(ctx: Context): Promise<{ tenantId: string; actor: Pick<AuditInput, "actorType" | "actorId"> } | null> {
  if (ctx.viewer) {
    const actor = actorOf(ctx);
    return { tenantId: ctx.viewer.tenantId, actor: { actorType: actor.type, actorId: actor.id } };
  }
  if (!ctx.signedInAgentId) return null;
  const agent = await ctx.database.prisma.agent.findUnique({ where: { id: ctx.signedInAgentId }, select: { tenantId: true } });
  return agent ? { tenantId: agent.tenantId, actor: { actorType: "AGENT", actorId: ctx.signedInAgentId } } : null;
}

/**
 * Writes the entries `build` returns under whoever acted, in one INSERT with
 * no lock (the sequencer numbers them after commit). A failure to build or to
 * write is logged and never changes a response.
 */
export async function writeEntries(ctx: Context, build: () => AuditFields[]): Promise<void> {
  try {
    const entries = build();
    if (!entries.length) return;
    const who = await whoActed(ctx);
    if (!who) return;
    await appendAudit(
      ctx.database,
      who.tenantId,
      entries.map((e) => ({ ...e, ...who.actor, requestId: ctx.requestId })),
      "audit",
    );
  } catch (err) {
    // An outage is logged without a stack: the health probe already reports it, once.
    if (ctx.database.health.isOutage(err)) ctx.log.warn({ requestId: ctx.requestId }, "audit entry not written: the database is away");
    else ctx.log.error({ err, requestId: ctx.requestId }, "could not write the audit log");
  }
}

/**
 * Writes the audit log after each execution: the mutations that ran and the
 * personal data that was read, in one INSERT with no lock (the sequencer
 * numbers them after commit). Anonymous requests are recorded
 * only when they signed someone in (there is no tenant otherwise). A failure to
 * write is logged and never changes the response.
 */
export function auditPlugin(): Plugin<Context> {
  return {
    onExecute({ args }) {
      const ctx = args.contextValue as Context;
      return {
        async onExecuteDone({ result }) {
          if (!("data" in result || "errors" in result)) return; // incremental delivery is not used
          const operation = getOperationAST(args.document, args.operationName);
          // A mutation may have committed events: the sequencer is told at once, before the audit
          // entry is written (events have readers waiting: subscribers, webhooks). The entry follows
          // as one that nothing waits for, sealed by the next run.
          if (operation?.operation === "mutation" && ctx.viewer) ctx.database.appended(ctx.viewer.tenantId);
          await writeEntries(ctx, () => {
            if (!operation) return [];
            const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
            if (coerced.errors) return []; // nothing ran
            const variables = coerced.coerced;
            const fields = rootFields(operation.selectionSet, fragmentsOf(args.document), variables);
            const entries: AuditFields[] = [];
            if (operation.operation === "mutation")
              entries.push(...mutationEntries(args.schema, fields, variables, result as ExecutionResult));
            if (ctx.viewer) entries.push(...readEntries(ctx, [...new Set([...fields.values()].map((f) => f.name.value))]));
            return entries;
          });
        },
      };
    },
  };
}
