import { GraphQLError, Kind, parse, validate, type DocumentNode, type GraphQLSchema } from "graphql";
import { AppError } from "../errors.js";

const MAX_LENGTH = 4000;

/**
 * The document a webhook runs for each event: the partner's selection on
 * TicketEvent, exactly as a `ticketEvents` subscription of the endpoint's API
 * key would receive it.
 */
function selectionDocument(selection: string): string {
  return `subscription Webhook { ticketEvents { ${selection} } }`;
}

/**
 * Parses and validates a selection against the schema; VALIDATION with the
 * GraphQL error otherwise. The selection must stay inside the braces it is
 * put in: a second operation, a fragment definition or another root field
 * is refused.
 */
export function parseSelection(schema: GraphQLSchema, selection: string, path: (string | number)[] = ["input", "selection"]): DocumentNode {
  const refuse = (message: string) => new AppError("VALIDATION", `Invalid selection: ${message}`, { fields: [{ path, message }] });
  const text = selection.trim();
  if (!text) throw refuse("select at least one field of TicketEvent, e.g. `type seq ticket { id status }`");
  if (text.length > MAX_LENGTH) throw refuse(`at most ${MAX_LENGTH} characters`);
  let document: DocumentNode;
  try {
    document = parse(selectionDocument(text), { noLocation: false });
  } catch (err) {
    throw refuse(err instanceof GraphQLError ? err.message : String(err));
  }
  const [operation, ...others] = document.definitions;
  const root = operation?.kind === Kind.OPERATION_DEFINITION ? operation.selectionSet.selections : [];
  const field = root[0];
  if (
    others.length ||
    operation?.kind !== Kind.OPERATION_DEFINITION ||
    operation.operation !== "subscription" ||
    root.length !== 1 ||
    field?.kind !== Kind.FIELD ||
    field.name.value !== "ticketEvents" ||
    field.alias ||
    field.arguments?.length ||
    field.directives?.length
  ) {
    throw refuse("a selection is a list of TicketEvent fields only, with balanced braces");
  }
  const errors = validate(schema, document);
  if (errors.length) throw refuse(errors.map((e) => e.message).join("; "));
  return document;
}
