import { DirectiveLocation, GraphQLDirective, GraphQLNonNull, GraphQLString } from "graphql";
import { DATA_CATEGORIES, PURPOSES, type DataCategory, type PurposeName } from "./taxonomy.js";

/** `@personalData(category:)`: this field returns personal data of that category. */
export const personalDataDirective = new GraphQLDirective({
  name: "personalData",
  description: `The field returns personal data. Categories: ${Object.keys(DATA_CATEGORIES).join(", ")}.`,
  locations: [DirectiveLocation.FIELD_DEFINITION],
  args: { category: { type: new GraphQLNonNull(GraphQLString) } },
});

/** `@consent(purpose:)`: resolving this field processes data for a purpose the subject can refuse. */
export const consentDirective = new GraphQLDirective({
  name: "consent",
  description:
    "Processing for this purpose needs the data subject's consent or non-objection, and no restriction; " +
    "otherwise the field is null with CONSENT_REQUIRED or PROCESSING_RESTRICTED. " +
    `Purposes: ${Object.keys(PURPOSES).join(", ")}.`,
  locations: [DirectiveLocation.FIELD_DEFINITION],
  args: { purpose: { type: new GraphQLNonNull(GraphQLString) } },
});

/** Field options that label a field, e.g. `t.exposeString("email", { ...personal("user.contact.email") })`. */
export const personal = (category: DataCategory) => ({
  directives: [{ name: "personalData" as const, args: { category } }],
});

/** A field whose resolving processes data for a purpose the subjects can refuse (AI assistance): enforced by the service, shown in the schema. */
export const needsConsent = (purpose: PurposeName) => ({ directives: [{ name: "consent" as const, args: { purpose } }] });

export const personalWithConsent = (category: DataCategory, purpose: PurposeName) => ({
  directives: [
    { name: "personalData" as const, args: { category } },
    { name: "consent" as const, args: { purpose } },
  ],
});

type DirectiveUse = { name: string; args?: Record<string, unknown> };

/** Reads a field's labels from its Pothos options (or, once built, from its extensions). */
export function labelsOf(field: { extensions?: Record<string, unknown> | null; pothosOptions?: object }): {
  category?: DataCategory;
  purpose?: PurposeName;
} {
  const uses = ((field.pothosOptions as { directives?: unknown } | undefined)?.directives ?? field.extensions?.directives ?? []) as
    | DirectiveUse[]
    | Record<string, Record<string, unknown>>;
  // Array form [{ name, args }] in Pothos options; { name: args | args[] } once built.
  const list: DirectiveUse[] = Array.isArray(uses)
    ? uses
    : Object.entries(uses).flatMap(([name, args]) => (Array.isArray(args) ? args : [args]).map((a) => ({ name, args: a })));
  return {
    category: list.find((d) => d.name === "personalData")?.args?.category as DataCategory | undefined,
    purpose: list.find((d) => d.name === "consent")?.args?.purpose as PurposeName | undefined,
  };
}
