import SchemaBuilder, { type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import { PothosPrismaPlugin } from "@pothos/plugin-prisma";
import type { GraphQLFieldResolver } from "graphql";

type Resolver<Types extends SchemaTypes> = GraphQLFieldResolver<unknown, Types["Context"], object>;

/**
 * The column a field exposes as it is (`t.exposeString("subject")` and the like on a Prisma
 * object in select mode), or null for any other field: relations, computed fields and fields
 * with a selection of their own.
 */
export function exposedColumn(extensions: Readonly<Record<string, unknown>> | null | undefined): string | null {
  const name = extensions?.pothosPrismaVariant;
  const select = extensions?.pothosPrismaSelect as Record<string, unknown> | false | undefined;
  if (typeof name !== "string" || !select || typeof select !== "object") return null;
  const keys = Object.keys(select);
  return keys.length === 1 && keys[0] === name && select[name] === true ? name : null;
}

/**
 * `planned` (the Prisma plugin's resolver) made to answer from the row when the row holds
 * `column`, by `direct` (the field's own resolver, with the plugins inside the Prisma
 * plugin's, such as privacy's). A column the row's query selected is never undefined (NULL
 * comes back as null); a row without it takes the plugin's way, which loads it.
 */
export function fromRowWhenLoaded<R extends GraphQLFieldResolver<unknown, never, never>>(column: string, direct: R, planned: R): R {
  return ((parent: Record<string, unknown>, args: never, context: never, info: never) =>
    parent[column] !== undefined ? direct(parent, args, context, info) : planned(parent, args, context, info)) as R;
}

/**
 * Pothos' Prisma plugin, with one shortcut: a field that exposes a column resolves straight
 * from its row when the row holds that column.
 *
 * In select mode the plugin wraps every field of a Prisma object to find, for each row, the
 * plan of the query that loaded it (path keys looked up in weak maps along the response
 * path) before the field resolves. A relation needs that plan for the fields beneath it; a
 * column does not: whether it was loaded can be read off the row. On a page of 50 tickets
 * with requester, assignee, tags and last message, ~550 of the ~750 lookups were for columns,
 * about 8 % of the page's CPU (docs/benchmarks.md, 2026-12-03). Listed in the builder's
 * plugins in place of the Prisma plugin; everything else is the plugin's own.
 */
class PrismaColumnsPlugin<Types extends SchemaTypes> extends PothosPrismaPlugin<Types> {
  override wrapResolve(resolver: Resolver<Types>, fieldConfig: PothosOutputFieldConfig<Types>): Resolver<Types> {
    const planned = super.wrapResolve(resolver, fieldConfig);
    const column = planned === resolver ? null : exposedColumn(fieldConfig.extensions);
    return column ? fromRowWhenLoaded(column, resolver, planned) : planned;
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      prismaColumns: PrismaColumnsPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin("prismaColumns", PrismaColumnsPlugin);

/** The name to list in the builder's plugins, where the Prisma plugin's would be. */
export default "prismaColumns" as const;
