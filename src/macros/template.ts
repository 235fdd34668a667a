import Mustache from "mustache";
import { AppError } from "../errors.js";
import type { DataCategory } from "../privacy/taxonomy.js";

/**
 * The placeholders a macro (or an automation's note) may use, each with the
 * personal data it reads: rendering one for a ticket notes the read for the
 * request's audit entry, like reading the field through the API would.
 */
export const PLACEHOLDERS = {
  "ticket.number": null,
  "ticket.subject": "user.content.message",
  "ticket.status": null,
  "ticket.priority": null,
  "ticket.channel": null,
  "requester.name": "user.name",
  "requester.firstName": "user.name",
  "requester.email": "user.contact.email",
  "agent.name": null,
  "agent.firstName": null,
} as const satisfies Record<string, DataCategory | null>;

export type Placeholder = keyof typeof PLACEHOLDERS;

const isPlaceholder = (name: string): name is Placeholder => Object.hasOwn(PLACEHOLDERS, name);

/** Mustache tokens: [kind, name, start, end, children?]. Kinds: text, name ({{x}}), & and { (unescaped), # ^ (sections), > (partials), ! (comments), = (delimiters). */
type Token = [string, string, number, number, Token[]?];

function walk(tokens: Token[], visit: (kind: string, name: string) => void): void {
  for (const [kind, name, , , children] of tokens) {
    visit(kind, name);
    if (children) walk(children, visit);
  }
}

/**
 * Checks a template when it is saved: it must parse, use known placeholders
 * only (all unknown ones are listed at once), and leave every value escaped
 * (no {{{…}}} or {{& …}}, no partials). Returns the placeholders it uses.
 */
export function checkTemplate(template: string, path: (string | number)[]): Placeholder[] {
  let tokens: Token[];
  try {
    tokens = Mustache.parse(template) as unknown as Token[];
  } catch (err) {
    throw new AppError("VALIDATION", `The template does not parse: ${(err as Error).message}`, {
      fields: [{ path, message: (err as Error).message }],
    });
  }
  const unknown = new Set<string>();
  const unescaped = new Set<string>();
  const used = new Set<Placeholder>();
  walk(tokens, (kind, name) => {
    if (kind === "text" || kind === "!" || kind === "=") return;
    if (kind === "&" || kind === "{" || kind === ">") unescaped.add(name);
    else if (isPlaceholder(name)) used.add(name);
    else unknown.add(name);
  });
  if (unknown.size || unescaped.size) {
    const problems = [
      ...(unknown.size ? [`unknown placeholders: ${[...unknown].join(", ")}`] : []),
      ...(unescaped.size ? [`unescaped output or partials are not allowed: ${[...unescaped].join(", ")}`] : []),
    ];
    throw new AppError("VALIDATION", `The template uses ${problems.join("; ")}`, {
      fields: [{ path, message: problems.join("; ") }],
      unknownPlaceholders: [...unknown],
      allowedPlaceholders: Object.keys(PLACEHOLDERS),
    });
  }
  return [...used];
}

/** What a template is rendered with. */
export interface TemplateValues {
  ticket: { number: number; subject: string; status: string; priority: string; channel: string };
  requester: { name: string; email: string | null };
  agent: { name: string } | null;
}

const firstName = (name: string) => name.trim().split(/\s+/)[0] ?? "";

/** Renders with every value HTML-escaped (mustache's default); a missing agent renders as empty. */
export function render(template: string, v: TemplateValues): string {
  const view = {
    ticket: v.ticket,
    requester: { name: v.requester.name, firstName: firstName(v.requester.name), email: v.requester.email ?? "" },
    agent: v.agent ? { name: v.agent.name, firstName: firstName(v.agent.name) } : { name: "", firstName: "" },
  };
  return Mustache.render(template, view);
}

/** The personal data categories a template reads, to note for the audit log. */
export const categoriesRead = (used: Placeholder[]): DataCategory[] => [
  ...new Set(used.flatMap((p) => (PLACEHOLDERS[p] ? [PLACEHOLDERS[p]] : []))),
];
