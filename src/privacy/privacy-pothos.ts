import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import type { GraphQLFieldResolver } from "graphql";
import type { Context } from "../context.js";
import { decisionError, decisionLoader } from "./consent.js";
import { labelsOf } from "./labels.js";
import { subjectOf } from "./subjects.js";

/**
 * Makes the labels do something at run time:
 * - `@consent(purpose)`: before resolving, the field's data subject must allow the
 *   purpose; otherwise the field is null with CONSENT_REQUIRED or PROCESSING_RESTRICTED
 *   and the rest of the response stands.
 * - `@personalData(category)`: a resolved value is noted as read (subject, category),
 *   for the audit log's one-entry-per-subject-per-request record.
 * Labels also show in field descriptions, so introspection reveals them.
 */
class PrivacyPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<Types>) {
    const { category, purpose } = labelsOf(fieldConfig);
    if (!category && !purpose) return fieldConfig;
    const notes = [category && `Personal data: ${category}.`, purpose && `Needs consent or non-objection for: ${purpose}.`].filter(Boolean);
    const description = [fieldConfig.description, ...notes].filter(Boolean).join("\n\n");
    return { ...fieldConfig, description };
  }

  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> {
    const { category, purpose } = labelsOf(fieldConfig);
    if (!category && !purpose) return resolver;
    const typeName = fieldConfig.parentType;
    // Synchronous unless the resolver or the consent decision is not: a page of a few hundred
    // personal fields then costs no promise per field.
    return (parent, args, context, info) => {
      const ctx = context as unknown as Context;
      const subject = subjectOf(typeName, parent);
      const noted = (value: unknown) => {
        if (category && subject && value !== null && value !== undefined) ctx.privacy.noteRead(subject, category);
        return value;
      };
      const resolve = () => {
        const value = resolver(parent, args, context, info);
        return isPromiseLike(value) ? Promise.resolve(value).then(noted) : noted(value);
      };
      if (!purpose || !subject) return resolve();
      return decisionLoader(ctx, purpose)
        .load(subject.id)
        .then((decision) => {
          if (decision !== "ALLOWED") throw decisionError(decision, purpose);
          return resolve();
        });
    };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      privacy: PrivacyPlugin<Types>;
    }
  }
}

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> => typeof (value as PromiseLike<unknown> | null)?.then === "function";

SchemaBuilder.registerPlugin("privacy", PrivacyPlugin);

/** The name to list in the builder's plugins. */
export default "privacy" as const;
