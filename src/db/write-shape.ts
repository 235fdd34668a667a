import { getDatamodel } from "../generated/pothos-prisma-types.js";
import { rewritten } from "./plan-rewrite.js";

type Field = { kind: string; type: string };

/** Per model, its fields by name: what kind each is (scalar, enum, relation) and its type. */
const FIELDS = new Map(
  Object.entries(getDatamodel().datamodel.models).map(([name, m]) => [
    name,
    new Map<string, Field>(m.fields.map((f) => [f.name, { kind: f.kind, type: f.type }])),
  ]),
);

/** Values the client sends tagged with their type, and the letter each type has in a shape's key. */
const TAGGED_VALUES: Record<string, string> = { DateTime: "d", Bytes: "y", BigInt: "g", Decimal: "m" };

/** Our placeholders' names; the compiler's own (`@generated$…`) never look like this. */
const PARAM = "deskgraph$";

export interface WriteRequest {
  modelName: string;
  action: string;
  query: { arguments: Record<string, unknown>; selection: unknown };
}

/**
 * A write request with its values taken out: each string, number, date, byte string, big
 * integer, decimal and Json value of its arguments becomes a placeholder the compiler leaves
 * in the plan (`{ $type: "Param" }`), numbered in order of first appearance. `values` holds
 * each one as the plan would have held it, and `types` what tells them apart (the compiler
 * may treat a number as an integer or not, a date as a date). Booleans, nulls and enums stay
 * where they are: few, and the compiler writes an enum's cast only around a value it knows.
 * Everything else (fields, operations, the selection) is the shape. Fields are looked up in
 * the model the arguments are about at that point (a relation's nested write or filter is
 * about the related model).
 */
export function withPlaceholders(request: WriteRequest): { shape: string; values: unknown[]; types: string } {
  const values: unknown[] = [];
  const types: string[] = [];
  const numbers = new Map<string, number>();
  // Equal values share a placeholder: the compiler writes an upsert as one statement only where it
  // sees that the row to find and the row to create have the same key.
  const param = (value: unknown, type: string) => {
    const seen = `${type}:${value}`;
    let n = numbers.get(seen);
    if (n === undefined) {
      n = values.push(value) - 1;
      types.push(type);
      numbers.set(seen, n);
    }
    return { $type: "Param", value: `${PARAM}${n}` };
  };

  const walk = (value: unknown, model: string): unknown => {
    if (typeof value === "string") return param(value, "s");
    // The compiler writes a number into the plan as its decimal text; JavaScript's text for the
    // very large and the very small (1e+21, 1e-7) is not that, and stays in the shape.
    if (typeof value === "number") return /^-?\d+(\.\d+)?$/.test(String(value)) ? param(String(value), numberType(value)) : value;
    if (!value || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map((item) => walk(item, model));
    if (isTagged(value)) return value.$type in TAGGED_VALUES ? param(value.value, TAGGED_VALUES[value.$type]!) : value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, field(k, v, model)]));
  };

  /** An argument by its name: a field of the model, or an operation (`in`, `set`, `create`, `AND`…). */
  const field = (name: string, value: unknown, model: string): unknown => {
    const f = FIELDS.get(model)?.get(name);
    if (f?.kind === "enum") return value;
    // A Json value is one value whatever it holds, even an object with a `$type` of its own; only
    // Prisma's markers for a null (DbNull, JsonNull) are part of the shape.
    if (f?.type === "Json" && value !== null && !(isTagged(value) && value.$type === "Enum")) return param(JSON.stringify(value), "j");
    return walk(value, f?.kind === "object" ? f.type : model);
  };

  // The arguments themselves (where, data, create…) are not fields, even where a field has such a name.
  const model = request.modelName;
  const args = Object.fromEntries(Object.entries(request.query.arguments).map(([k, v]) => [k, walk(v, model)]));
  const shape = JSON.stringify({ ...request, query: { ...request.query, arguments: args } });
  return { shape, values, types: types.join() };
}

/** The plan with each of our placeholders replaced by its value; the compiler's own are left as they are. */
export function fillPlaceholders(plan: unknown, values: unknown[]): unknown {
  return rewritten(plan, (part) => {
    const name = part && typeof part === "object" ? placeholderName(part) : undefined;
    if (name === undefined) return undefined;
    return name.startsWith(PARAM) ? values[Number(name.slice(PARAM.length))] : part;
  });
}

/**
 * The plan compiled from a shape, typed as the compiler types values written in the request:
 * an integer there is a `bigint` argument, while a placeholder takes the column's type (`int`).
 * `types` are the placeholders' (withPlaceholders), by number.
 */
export function typedAsValues(plan: unknown, types: string[]): unknown {
  if (!plan || typeof plan !== "object") return plan;
  if (Array.isArray(plan)) return plan.map((item) => typedAsValues(item, types));
  const node = Object.fromEntries(Object.entries(plan).map(([k, v]) => [k, typedAsValues(v, types)]));
  const { args, argTypes } = node as { args?: unknown; argTypes?: unknown };
  if (Array.isArray(args) && Array.isArray(argTypes) && args.length === argTypes.length) {
    node.argTypes = argTypes.map((t: { scalarType?: unknown }, i) => {
      const name = args[i] && typeof args[i] === "object" ? placeholderName(args[i]) : undefined;
      const integer = name?.startsWith(PARAM) && ["i", "I"].includes(types[Number(name.slice(PARAM.length))]!);
      return integer && t.scalarType === "int" ? { ...t, scalarType: "bigint" } : t;
    });
  }
  return node;
}

function placeholderName(value: object): string | undefined {
  const p = value as { prisma__type?: unknown; prisma__value?: { name?: unknown } };
  return p.prisma__type === "param" && typeof p.prisma__value?.name === "string" ? p.prisma__value.name : undefined;
}

function isTagged(value: unknown): value is { $type: string; value: unknown } {
  return typeof value === "object" && value !== null && typeof (value as { $type?: unknown }).$type === "string";
}

/** An integer's type may depend on its size: 32-bit ones apart from larger ones, and both from fractions. */
export function numberType(value: number): string {
  return Number.isInteger(value) ? ((value | 0) === value ? "i" : "I") : "f";
}
