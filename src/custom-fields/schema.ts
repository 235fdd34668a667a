import { z } from "zod";
import { builder } from "../graphql/builder.js";
import type { CustomFieldDefinition } from "../generated/prisma/client.js";
import { formatDate } from "./literal.js";
import * as definitions from "./definitions.js";
import { MAX_TEXT, type ValueInput } from "./values.js";

const CustomFieldEntity = builder.enumType("CustomFieldEntity", {
  description: "The kind of record a custom field belongs to",
  values: ["TICKET", "CONTACT", "ORGANIZATION"] as const,
});
const CustomFieldType = builder.enumType("CustomFieldType", {
  values: {
    TEXT: { description: "Free text; `pattern` and length bounds (min/max) apply" },
    NUMBER: { description: "A number; min/max bound it" },
    DATE: { description: "A calendar date, YYYY-MM-DD" },
    BOOLEAN: {},
    SINGLE_SELECT: { description: "One of `options`" },
    MULTI_SELECT: { description: "Any of `options`; min/max bound how many" },
  },
});

const CustomFieldDefinitionRef = builder.prismaNode("CustomFieldDefinition", {
  id: { field: "id" },
  name: "CustomField",
  description: "A field the tenant added to its tickets, contacts or organisations.",
  authScopes: { anyPermission: ["tickets:read", "contacts:read"] },
  fields: (t) => ({
    entity: t.expose("entity", { type: CustomFieldEntity }),
    key: t.exposeString("key", { description: "Used in inputs, filters and search (`key:value`)" }),
    label: t.exposeString("label"),
    description: t.exposeString("description", { nullable: true }),
    type: t.expose("type", { type: CustomFieldType }),
    options: t.exposeStringList("options"),
    pattern: t.exposeString("pattern", { nullable: true }),
    min: t.exposeFloat("min", { nullable: true }),
    max: t.exposeFloat("max", { nullable: true }),
    requiredOnSolve: t.exposeBoolean("requiredOnSolve"),
    personalData: t.exposeBoolean("personalData", {
      description: "Values are personal data of the contact they are about (category user.custom): reads are audited, exported and erased",
    }),
    active: t.exposeBoolean("active", { description: "False once deleted: values are kept but no longer shown, written or filtered on" }),
    position: t.exposeInt("position"),
  }),
});

/** A value as read: its field, and the stored row. */
export interface FieldValue {
  field: CustomFieldDefinition;
  text: string | null;
  number: number | null;
  date: Date | null;
  boolean: boolean | null;
  options: string[];
}

const CustomFieldValue = builder.interfaceRef<FieldValue>("CustomFieldValue").implement({
  description: "The value of one custom field on a record; the concrete type follows the field's type.",
  fields: (t) => ({
    key: t.string({ resolve: (v) => v.field.key }),
    field: t.field({ type: CustomFieldDefinitionRef, resolve: (v) => v.field }),
  }),
});

const valueType = (name: string, type: CustomFieldDefinition["type"]) =>
  builder.objectRef<FieldValue>(name).implement({
    interfaces: [CustomFieldValue],
    isTypeOf: (v) => (v as FieldValue).field?.type === type,
  });

// Each value type adds the one member its type has.
builder.objectFields(valueType("TextFieldValue", "TEXT"), (t) => ({ text: t.string({ resolve: (v) => v.text ?? "" }) }));
builder.objectFields(valueType("NumberFieldValue", "NUMBER"), (t) => ({ number: t.float({ resolve: (v) => v.number ?? 0 }) }));
builder.objectFields(valueType("DateFieldValue", "DATE"), (t) => ({
  date: t.string({ description: "YYYY-MM-DD", resolve: (v) => (v.date ? formatDate(v.date) : "") }),
}));
builder.objectFields(valueType("BooleanFieldValue", "BOOLEAN"), (t) => ({ boolean: t.boolean({ resolve: (v) => v.boolean ?? false }) }));
builder.objectFields(valueType("SingleSelectFieldValue", "SINGLE_SELECT"), (t) => ({ option: t.string({ resolve: (v) => v.text ?? "" }) }));
builder.objectFields(valueType("MultiSelectFieldValue", "MULTI_SELECT"), (t) => ({ options: t.stringList({ resolve: (v) => v.options }) }));

export { CustomFieldValue };

export const CustomFieldValueInput = builder.inputType("CustomFieldValueInput", {
  description:
    "One custom field's value: give the member that matches its type (SINGLE_SELECT: `options` with one choice), or none to remove the value.",
  fields: (t) => ({
    key: t.string({ required: true, validate: z.string().max(63) }),
    text: t.string({ validate: z.string().max(MAX_TEXT) }),
    number: t.float(),
    date: t.string({ description: "YYYY-MM-DD" }),
    boolean: t.boolean(),
    options: t.stringList({ validate: z.array(z.string().max(200)).max(200) }),
  }),
});

/** Plain inputs for the services (GraphQL gives `null` prototypes and Maybe types). */
export const toValueInputs = (values: readonly ValueInput[] | null | undefined): ValueInput[] => (values ?? []).map((v) => ({ ...v }));

export const CustomFieldCondition = builder.inputType("CustomFieldCondition", {
  description:
    "A condition on one custom field. Operands are written as text and read as the field's type (numbers, YYYY-MM-DD dates, true/false, options); all given operators must hold.",
  fields: (t) => ({
    key: t.string({ required: true, validate: z.string().max(63) }),
    equals: t.string({ description: "MULTI_SELECT: has this option" }),
    in: t.stringList({ description: "Any of these (MULTI_SELECT: has any of these options)", validate: z.array(z.string()).max(100) }),
    gt: t.string({ description: "NUMBER, DATE and TEXT only" }),
    lt: t.string({ description: "NUMBER, DATE and TEXT only" }),
    isSet: t.boolean({ description: "true: has a value; false: has none" }),
  }),
});

builder.queryField("customFields", (t) =>
  t.prismaField({
    type: ["CustomFieldDefinition"],
    description: "The tenant's custom fields, by position then key.",
    authScopes: { anyPermission: ["tickets:read", "contacts:read"] },
    args: {
      entity: t.arg({ type: CustomFieldEntity }),
      includeDeleted: t.arg.boolean({ defaultValue: false }),
    },
    resolve: (query, _r, args, ctx) =>
      ctx.db.customFieldDefinition.findMany({
        ...query,
        where: { ...(args.entity ? { entity: args.entity } : {}), ...(args.includeDeleted ? {} : { active: true }) },
        orderBy: [{ entity: "asc" }, { position: "asc" }, { key: "asc" }],
      }),
  }),
);

const keySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, "lower-case letters, digits and _, starting with a letter (at most 63)")
  .refine((k) => !RESERVED_KEYS.includes(k), "is a built-in search field name");
/** Names the search language already gives a meaning to (`status:open`…): a custom field cannot take them. */
const RESERVED_KEYS = ["status", "priority", "tag", "assignee", "from", "created", "type"];

const definitionFields = (t: PothosSchemaTypes.InputFieldBuilder<any, "InputObject">) => ({
  label: t.string({ validate: z.string().trim().min(1).max(200) }),
  description: t.string({ validate: z.string().max(1000) }),
  options: t.stringList({ validate: z.array(z.string().trim().min(1).max(200)).max(200) }),
  pattern: t.string({ validate: z.string().max(500) }),
  min: t.float(),
  max: t.float(),
  requiredOnSolve: t.boolean(),
  personalData: t.boolean(),
  position: t.int({ validate: z.number().int().min(0).max(10_000) }),
});

const CreateCustomFieldInput = builder.inputType("CreateCustomFieldInput", {
  fields: (t) => ({
    entity: t.field({ type: CustomFieldEntity, required: true }),
    key: t.string({ required: true, validate: keySchema }),
    type: t.field({ type: CustomFieldType, required: true }),
    ...definitionFields(t),
    label: t.string({ required: true, validate: z.string().trim().min(1).max(200) }),
  }),
});

const UpdateCustomFieldInput = builder.inputType("UpdateCustomFieldInput", {
  description:
    "Omitted fields stay. A new type converts the stored values when every one converts (anything → TEXT; TEXT → NUMBER, DATE or a select when each value reads as one; SINGLE_SELECT ⇄ MULTI_SELECT with at most one choice); otherwise CONFLICT with extensions.blockingValues and nothing changes. Removing an option still chosen is refused the same way.",
  fields: (t) => ({
    key: t.string({ validate: keySchema }),
    type: t.field({ type: CustomFieldType }),
    active: t.boolean({ description: "true restores a deleted field" }),
    ...definitionFields(t),
  }),
});

builder.mutationField("createCustomField", (t) =>
  t.prismaField({
    type: "CustomFieldDefinition",
    authScopes: { permission: "fields:manage" },
    args: { input: t.arg({ type: CreateCustomFieldInput, required: true }) },
    resolve: async (query, _r, { input }, ctx) => {
      const { id } = await definitions.createDefinition(ctx, input.entity, input);
      return ctx.db.customFieldDefinition.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("updateCustomField", (t) =>
  t.prismaField({
    type: "CustomFieldDefinition",
    authScopes: { permission: "fields:manage" },
    args: {
      id: t.arg.globalID({ required: true, for: CustomFieldDefinitionRef }),
      input: t.arg({ type: UpdateCustomFieldInput, required: true }),
    },
    resolve: async (query, _r, args, ctx) => {
      await definitions.updateDefinition(ctx, args.id.id, args.input);
      return ctx.db.customFieldDefinition.findUniqueOrThrow({ ...query, where: { id: args.id.id } });
    },
  }),
);

builder.mutationField("deleteCustomField", (t) =>
  t.prismaField({
    type: "CustomFieldDefinition",
    description:
      "Deactivates the field (active: false): its values are kept, no longer shown, written, filtered on or searched; the key stays reserved. Announced as CUSTOM_FIELD_DEACTIVATED.",
    authScopes: { permission: "fields:manage" },
    args: { id: t.arg.globalID({ required: true, for: CustomFieldDefinitionRef }) },
    resolve: async (query, _r, args, ctx) => {
      await definitions.deactivateDefinition(ctx, args.id.id);
      return ctx.db.customFieldDefinition.findUniqueOrThrow({ ...query, where: { id: args.id.id } });
    },
  }),
);
