/**
 * A copy of a query plan with some of its parts replaced: `replace` says, for each part, what
 * stands in its place (or `undefined` to look inside it). Parts in which nothing is replaced are
 * the plan's own, shared as they are: a cached plan is frozen, and each use copies only the path
 * to what changes.
 */
export function rewritten(value: unknown, replace: (part: unknown) => unknown): unknown {
  const replacement = replace(value);
  if (replacement !== undefined) return replacement;
  if (!value || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = rewritten(item, replace);
      if (next !== item) (copy ??= [...value])[i] = next;
    });
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [k, item] of Object.entries(value)) {
    const next = rewritten(item, replace);
    if (next !== item) (copy ??= { ...value })[k] = next;
  }
  return copy ?? value;
}
