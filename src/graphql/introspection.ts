import { BREAK, visit, type DocumentNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import { AppError } from "../errors.js";
import type { Context } from "../context.js";

function asksForSchema(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      // __typename is not introspection of the schema: clients add it everywhere.
      if (node.name.value === "__schema" || node.name.value === "__type") {
        found = true;
        return BREAK;
      }
    },
  });
  return found;
}

/**
 * With introspection closed (production, unless INTROSPECTION=true), only the
 * people who build on the API may read the schema: signed-in agents and API keys.
 * Anonymous callers and portal contacts may not. Checked at execution, where the
 * caller is known (validation results are cached per document, not per caller).
 */
export function introspectionGuard(open: boolean): Plugin<Context> {
  if (open) return {};
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const viewer = (args.contextValue as Context).viewer;
      if (viewer?.kind === "agent" || viewer?.kind === "apiKey") return;
      if (!asksForSchema(args.document)) return;
      const error = viewer
        ? new AppError("FORBIDDEN", "Introspection is open to agents and API keys only")
        : new AppError("UNAUTHENTICATED", "Introspection needs a signed-in agent or an API key");
      setResultAndStopExecution({ errors: [error] });
    },
  };
}
