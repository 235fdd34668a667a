import {
  getDirectiveValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  type GraphQLResolveInfo,
  Kind,
  type SelectionSetNode,
} from "graphql";

/**
 * Whether the field being resolved asks for `name` among its own fields
 * (directly or through fragments, after @skip and @include): lets a resolver
 * start work for a child field before the child's resolver runs.
 */
export function asksFor(info: GraphQLResolveInfo, name: string): boolean {
  const { fragments, variableValues } = info;
  const included = (node: Parameters<typeof getDirectiveValues>[1]) =>
    getDirectiveValues(GraphQLSkipDirective, node, variableValues)?.if !== true &&
    getDirectiveValues(GraphQLIncludeDirective, node, variableValues)?.if !== false;
  const within = (set: SelectionSetNode | undefined, seen: Set<string>): boolean =>
    !!set?.selections.some((s) => {
      if (!included(s)) return false;
      if (s.kind === Kind.FIELD) return s.name.value === name;
      if (s.kind === Kind.INLINE_FRAGMENT) return within(s.selectionSet, seen);
      const fragment = fragments[s.name.value];
      if (!fragment || seen.has(s.name.value)) return false;
      seen.add(s.name.value);
      return within(fragment.selectionSet, seen);
    });
  return info.fieldNodes.some((node) => within(node.selectionSet, new Set()));
}
