import {
  GraphQLError,
  parse,
  type ASTNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { AppError } from "../errors.js";

/**
 * Limits on the shape of a document, checked before anything runs (in the
 * style of graphql-armor). They complement the complexity plugin, which
 * weighs schema fields at execution: these also cover introspection and
 * documents that never reach execution, and they are cheap.
 */
export interface QueryLimits {
  /** Lexical tokens in the document (parsing stops at the limit). */
  tokens: number;
  /** Aliased fields in an operation, fragments included. */
  aliases: number;
  /** Directive uses in an operation, fragments included. */
  directives: number;
  /** Nested fields in an operation, introspection included (a root field is depth 1). */
  depth: number;
}

type Kind = "TOKENS" | "ALIASES" | "DIRECTIVES" | "DEPTH";

const MESSAGES: Record<Exclude<Kind, "TOKENS">, (actual: number, max: number) => string> = {
  // Worded as the complexity plugin words its own depth error: both can report it.
  DEPTH: (actual, max) => `Query depth ${actual} exceeds the limit of ${max}`,
  ALIASES: (actual, max) => `Query uses ${actual} aliases, more than the limit of ${max}`,
  DIRECTIVES: (actual, max) => `Query uses ${actual} directives, more than the limit of ${max}`,
};

const tooComplex = (kind: Exclude<Kind, "TOKENS">, max: number, actual: number, nodes: readonly ASTNode[]) =>
  new GraphQLError(MESSAGES[kind](actual, max), { nodes, extensions: { code: "QUERY_TOO_COMPLEX", kind, actual, max } });

interface Measure {
  aliases: number;
  directives: number;
  depth: number;
}

/**
 * Measures an operation with each fragment measured once (memoised by name),
 * so a document that spreads fragments into each other many times costs
 * no more to measure than its text. A spread counts its fragment's aliases and
 * directives each time it appears, as execution would see them.
 *
 * Depth counts introspection too (`__type { fields { type { fields … } } }`
 * multiplies its output at every level), except `ofType`: it unwraps one list or
 * non-null at a time, returns one type or null, and a standard introspection
 * query nests it seven deep.
 */
function measureOperation(
  operation: OperationDefinitionNode,
  fragment: (name: string) => FragmentDefinitionNode | null | undefined,
): Measure {
  const fragments = new Map<string, Measure>();
  const visiting = new Set<string>();

  const ofFragment = (name: string, introspection: boolean): Measure => {
    const key = `${introspection}:${name}`;
    const known = fragments.get(key);
    if (known) return known;
    const def = fragment(name);
    // Unknown or cyclic fragments are reported by the standard rules.
    if (!def || visiting.has(key)) return { aliases: 0, directives: 0, depth: 0 };
    visiting.add(key);
    const m = ofSelections(def.selectionSet, introspection);
    m.directives += def.directives?.length ?? 0;
    visiting.delete(key);
    fragments.set(key, m);
    return m;
  };

  const ofSelections = (set: SelectionSetNode, introspection: boolean): Measure => {
    const total: Measure = { aliases: 0, directives: 0, depth: 0 };
    for (const s of set.selections) {
      total.directives += s.directives?.length ?? 0;
      let inner: Measure;
      if (s.kind === "Field") {
        if (s.alias) total.aliases += 1;
        const name = s.name.value;
        const within = introspection || name === "__schema" || name === "__type";
        inner = s.selectionSet ? ofSelections(s.selectionSet, within) : { aliases: 0, directives: 0, depth: 0 };
        inner = { ...inner, depth: inner.depth + (introspection && name === "ofType" ? 0 : 1) };
      } else if (s.kind === "InlineFragment") {
        inner = ofSelections(s.selectionSet, introspection);
      } else {
        inner = ofFragment(s.name.value, introspection);
      }
      total.aliases += inner.aliases;
      total.directives += inner.directives;
      total.depth = Math.max(total.depth, inner.depth);
    }
    return total;
  };

  const m = ofSelections(operation.selectionSet, false);
  m.directives += operation.directives?.length ?? 0;
  return m;
}

export function queryShapeRule(limits: Omit<QueryLimits, "tokens">): ValidationRule {
  return function QueryShapeLimits(context: ValidationContext) {
    return {
      OperationDefinition(operation) {
        const m = measureOperation(operation, (name) => context.getFragment(name));
        if (m.depth > limits.depth) context.reportError(tooComplex("DEPTH", limits.depth, m.depth, [operation]));
        if (m.aliases > limits.aliases) context.reportError(tooComplex("ALIASES", limits.aliases, m.aliases, [operation]));
        if (m.directives > limits.directives) context.reportError(tooComplex("DIRECTIVES", limits.directives, m.directives, [operation]));
        return false;
      },
    };
  };
}

/** graphql-js stops lexing at `maxTokens`; its syntax error ("more that N tokens", sic) becomes a typed one. */
function parseWithTokenLimit(max: number): typeof parse {
  return (source, options) => {
    try {
      return parse(source, { ...options, maxTokens: max });
    } catch (err) {
      if (err instanceof GraphQLError && /contains more tha[nt] \d+ tokens/.test(err.message)) {
        throw new AppError("QUERY_TOO_COMPLEX", `Query has more than ${max} tokens`, { kind: "TOKENS", max, http: { status: 400 } });
      }
      throw err;
    }
  };
}

export function queryLimits(limits: QueryLimits): Plugin {
  const rule = queryShapeRule(limits);
  const parseFn = parseWithTokenLimit(limits.tokens);
  return {
    onParse({ setParseFn }) {
      setParseFn(parseFn);
    },
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}
