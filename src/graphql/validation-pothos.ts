import SchemaBuilder, {
  mapInputFields,
  unwrapInputFieldType,
  type InputFieldsMapping,
  type PothosOutputFieldConfig,
  type SchemaTypes,
} from "@pothos/core";
import { PothosValidationPlugin, type StandardSchemaV1 } from "@pothos/plugin-validation";

/**
 * Pothos's validation plugin, reporting every invalid input at once.
 *
 * The plugin stops validating an input object's fields at the first one that
 * fails (hayes/pothos#1656): a client sending three bad fields learns of one,
 * fixes it, and learns of the next. This subclass runs a pass of its own
 * before the plugin's: it walks every argument and every nested input field,
 * runs each one's schemas, and throws one error naming them all. Input that
 * passes goes on to the plugin as before, which applies the schemas'
 * transformations and the schemas that span several arguments.
 */
class AllIssuesValidationPlugin<Types extends SchemaTypes> extends PothosValidationPlugin<Types> {
  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<Types>): PothosOutputFieldConfig<Types> | null {
    const config = super.onOutputFieldConfig(fieldConfig);
    if (!config || config === fieldConfig || !config.argMappers?.length) return config;
    const mappings = mapInputFields(fieldConfig.args, this.buildCache, (field) => {
      const fieldSchemas = [...(field.extensions?.["@pothos/plugin-validation"]?.schemas ?? [])].reverse();
      const argSchema = field.kind === "Arg" ? (field.pothosOptions as { validate?: StandardSchemaV1 }).validate : undefined;
      if (argSchema) fieldSchemas.push(argSchema);
      const typeConfig = this.buildCache.getTypeConfig(unwrapInputFieldType(field.type));
      const typeSchemas =
        typeConfig.kind === "InputObject"
          ? ((typeConfig.extensions?.["@pothos/plugin-validation"] as { schemas?: StandardSchemaV1[] } | undefined)?.schemas ?? [])
          : [];
      return fieldSchemas.length || typeSchemas.length ? { fieldSchemas, typeSchemas } : null;
    });
    if (!mappings) return config;
    const onFailure = this.builder.options.validation?.validationError;
    const everyIssue = (args: Record<string, unknown>, context: Types["Context"]) => {
      const issues = issuesIn(args, mappings as unknown as SchemaMap, []);
      if (!issues.length) return;
      if (!onFailure) throw new Error(issues.map((i) => i.message).join("; "));
      const error = onFailure({ issues }, args as never, context);
      throw typeof error === "string" ? new Error(error) : error;
    };
    const plugins = config.argMappers.slice(0, -1);
    const theirs = config.argMappers.at(-1)!;
    return {
      ...config,
      argMappers: [
        ...plugins,
        // Synchronous on purpose: the complexity plugin maps arguments synchronously to read `first`.
        (args, context, info) => {
          everyIssue(args, context);
          return theirs(args, context, info);
        },
      ],
    };
  }
}

interface Schemas {
  fieldSchemas: StandardSchemaV1[];
  typeSchemas: StandardSchemaV1[];
}
// The walk reads only the mapping's shape, never the schema types' parameters.
type SchemaMap = InputFieldsMapping<SchemaTypes, Schemas | null>;
type Issue = { message: string; path: PropertyKey[] };
type Path = (string | number)[];

const keyOf = (segment: PropertyKey | StandardSchemaV1.PathSegment) => (typeof segment === "object" ? segment.key : segment);

/**
 * Runs schemas one after another on what the previous one returned; stops at the first that fails.
 * An asynchronous schema ends the chain here: the plugin's own pass checks the rest.
 */
function runChain(schemas: StandardSchemaV1[], value: unknown, at: Path): { value: unknown; issues: Issue[] } {
  let current = value;
  for (const schema of schemas) {
    const result = schema["~standard"].validate(current);
    if (result instanceof Promise) return { value: current, issues: [] };
    if (result.issues) {
      return { value: current, issues: result.issues.map((i) => ({ message: i.message, path: [...at, ...(i.path ?? []).map(keyOf)] })) };
    }
    current = result.value;
  }
  return { value: current, issues: [] };
}

/** Every issue in an input object, each with its full path; siblings of a bad field are still checked. */
function issuesIn(value: Record<string, unknown>, map: SchemaMap, path: Path): Issue[] {
  const issues: Issue[] = [];
  for (const [name, field] of map) {
    const fieldValue = value[name];
    if (fieldValue === null || fieldValue === undefined) continue;
    const at = [...path, name];
    const elements = field.isList ? listElements(fieldValue, field.listDepth, at) : [{ value: fieldValue, at }];
    const before = issues.length;
    // Nested input objects first, as the plugin does: their own fields, then their type's schemas.
    for (const element of elements) {
      if (element.value === null || element.value === undefined) continue;
      if (field.kind === "InputObject" && field.fields.map)
        issues.push(...issuesIn(element.value as Record<string, unknown>, field.fields.map, element.at));
    }
    if (issues.length > before || !field.value) continue;
    const checked: unknown[] = [];
    for (const element of elements) {
      if (element.value === null || element.value === undefined) {
        checked.push(element.value);
        continue;
      }
      const result = runChain(field.value.typeSchemas, element.value, element.at);
      issues.push(...result.issues);
      checked.push(result.value);
    }
    if (issues.length > before) continue;
    // A list field's own schemas see the whole list (e.g. a maximum length).
    const whole = field.isList && field.listDepth === 1 ? checked : field.isList ? fieldValue : checked[0];
    issues.push(...runChain(field.value.fieldSchemas, whole, at).issues);
  }
  return issues;
}

function listElements(value: unknown, depth: number, at: Path): { value: unknown; at: Path }[] {
  if (!Array.isArray(value)) return [{ value, at }];
  return value.flatMap((item, i) => (depth > 1 ? listElements(item, depth - 1, [...at, i]) : [{ value: item, at: [...at, i] }]));
}

declare global {
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      validationAllIssues: AllIssuesValidationPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin("validationAllIssues", AllIssuesValidationPlugin);

export const validationAllIssues = "validationAllIssues" as const;
