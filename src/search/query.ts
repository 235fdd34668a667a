import { AppError } from "../errors.js";
import type { ParsedQuery, SearchFilters, SearchKind, SearchTerm } from "./contract.js";
import { DAY_MS } from "../constants.js";

/**
 * The query language users type into a search box:
 *
 *   refund "credit card" -paypal invoice OR receipt status:open tag:billing created>=2026-01-01
 *
 * Words and "quoted phrases" must all match; `a OR b` matches either; `-word`
 * and `-"a phrase"` exclude; `field:value` filters. The parser never guesses:
 * anything it cannot read is a VALIDATION error that says where and why,
 * because a search that silently drops half of the query looks like missing data.
 */

export const MAX_QUERY_LENGTH = 500;
/** Words, phrases and filters together: each costs an index lookup. */
export const MAX_QUERY_TERMS = 32;

const STATUSES = ["NEW", "OPEN", "PENDING", "SOLVED", "CLOSED"];
const PRIORITIES = ["LOW", "NORMAL", "HIGH", "URGENT"];
const KINDS: Record<string, SearchKind> = {
  ticket: "TICKET",
  tickets: "TICKET",
  message: "MESSAGE",
  messages: "MESSAGE",
  contact: "CONTACT",
  contacts: "CONTACT",
};
const FIELDS = ["status", "priority", "tag", "assignee", "from", "created", "type"] as const;
type Field = (typeof FIELDS)[number];

/** What the parser hands the service: the contract's query plus what only the service can resolve. */
export interface ParsedSearch extends ParsedQuery {
  /** `assignee:me` was given: the service puts the caller's agent id in filters.assigneeIds. */
  assigneeMe: boolean;
  /** `assignee:<email>` values, lower case: the service resolves them to agent ids. */
  assigneeEmails: string[];
  /** `<key>:value` of any other name: the service reads them as the tenant's ticket custom fields, or refuses them. */
  customFields: RawFieldFilter[];
}

/** A filter on a name that is not built in, as typed: the service types it by the field's definition. */
export interface RawFieldFilter {
  key: string;
  /** ":", ">", ">=", "<", "<=". */
  op: string;
  values: string[];
  pos: number;
}

/** The built-in filters, as an error message lists them. */
export const BUILT_IN_FILTERS = FIELDS.map((f) => (f === "created" ? "created>" : `${f}:`)).join(", ");

/** Letters of any script (with their combining marks), digits, and @ . - _ ' inside words. */
const WORD_CHAR = /[\p{L}\p{M}\p{N}@._'’-]/u;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function queryError(message: string, position?: number, extra: Record<string, unknown> = {}): AppError {
  return new AppError("VALIDATION", `Invalid search query: ${message}`, {
    fields: [{ path: ["query"], message }],
    ...(position === undefined ? {} : { position }),
    ...extra,
  });
}

type Token =
  | { type: "term"; term: SearchTerm; pos: number }
  | { type: "or"; pos: number }
  | { type: "filter"; field: string; op: string; value: string; pos: number; negated: boolean };

/** Splits the text into words, phrases, OR and filters. Positions are 0-based character offsets. */
function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = input.length;
  const readQuoted = (start: number): { text: string; end: number } => {
    const close = input.indexOf('"', start + 1);
    if (close < 0) throw queryError('a quote (") is not closed', start);
    return { text: input.slice(start + 1, close), end: close + 1 };
  };
  while (i < n) {
    const ch = input[i]!;
    if (/\s/u.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    const negated = ch === "-" && i + 1 < n && !/\s/u.test(input[i + 1]!);
    if (negated) i++;
    if (input[i] === '"') {
      const { text, end } = readQuoted(i);
      i = end;
      const words = text.trim();
      if (!words) throw queryError("a quoted phrase is empty", start);
      tokens.push({ type: "term", term: { kind: "PHRASE", text: words, negated }, pos: start });
      continue;
    }
    // A bare token runs to the next space; a quote inside it starts a quoted filter value (tag:"key account").
    let j = i;
    while (j < n && !/\s/u.test(input[j]!) && input[j] !== '"') j++;
    let raw = input.slice(i, j);
    const filter = /^([A-Za-z][A-Za-z0-9_]*)(:|>=|<=|>|<)(.*)$/s.exec(raw);
    if (filter) {
      let value = filter[3]!;
      if (input[j] === '"' && value === "") {
        const { text, end } = readQuoted(j);
        value = text.trim();
        j = end;
      } else if (input[j] === '"') {
        throw queryError('a quote (") must start a phrase or a filter value', j);
      }
      tokens.push({ type: "filter", field: filter[1]!.toLowerCase(), op: filter[2]!, value, pos: start, negated });
      i = j;
      continue;
    }
    if (input[j] === '"') throw queryError('a quote (") must start a phrase or a filter value', j);
    i = j;
    if (raw === "OR" && !negated) {
      tokens.push({ type: "or", pos: start });
      continue;
    }
    // Punctuation other than @ . - _ ' separates words, as in any search box ("invoice," "(billing)").
    let offset = start + (negated ? 1 : 0);
    const parts: { text: string; pos: number }[] = [];
    let current = "";
    let currentPos = offset;
    for (const c of raw) {
      if (WORD_CHAR.test(c)) {
        if (!current) currentPos = offset;
        current += c;
      } else if (current) {
        parts.push({ text: current, pos: currentPos });
        current = "";
      }
      offset += c.length;
    }
    if (current) parts.push({ text: current, pos: currentPos });
    // Edge punctuation is not part of a word: "end." and "'quoted'" are end and quoted.
    raw = "";
    for (const p of parts) {
      const text = p.text.replace(/^[.\-_'’]+|[.\-_'’]+$/gu, "");
      if (!text) continue;
      tokens.push({ type: "term", term: { kind: "WORD", text, negated }, pos: negated && p === parts[0] ? start : p.pos });
    }
  }
  return tokens;
}

function parseDate(value: string, pos: number): Date {
  const m = DATE.exec(value);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  // Date.UTC rolls 2026-02-30 over to March: a real date reads back the same.
  if (!m || !date || date.toISOString().slice(0, 10) !== value) {
    throw queryError(`"${value}" is not a date; write it as YYYY-MM-DD, e.g. created>2026-01-01`, pos);
  }
  return date;
}

function applyFilter(tok: Extract<Token, { type: "filter" }>, filters: SearchFilters, out: ParsedSearch): void {
  const { field, op, value, pos } = tok;
  if (tok.negated) throw queryError(`a filter cannot be excluded with "-" (-${field}:)`, pos);
  if (!(FIELDS as readonly string[]).includes(field)) {
    // Perhaps a custom field: only the service knows the tenant's.
    const values = value
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean);
    if (!values.length) throw queryError(`${field}${op} needs a value`, pos);
    out.customFields.push({ key: field, op, values, pos });
    return;
  }
  const f = field as Field;
  if (f === "created") {
    if (op === ":") throw queryError("created needs a comparison: created>2026-01-01, created>=, created<, created<=", pos);
  } else if (op !== ":") {
    throw queryError(`${f} takes "${f}:value", not a comparison`, pos);
  }
  if (!value) throw queryError(`${f}${op} needs a value`, pos);
  const values = value
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
  if (!values.length) throw queryError(`${f}${op} needs a value`, pos);
  switch (f) {
    case "status":
    case "priority": {
      const allowed = f === "status" ? STATUSES : PRIORITIES;
      const list = values.map((v) => {
        const upper = v.toUpperCase();
        if (!allowed.includes(upper))
          throw queryError(`${f} "${v}" does not exist; use one of ${allowed.map((s) => s.toLowerCase()).join(", ")}`, pos);
        return upper;
      });
      // Repeating a filter widens it (status:open status:pending): one status cannot be two at once.
      filters[f] = [...new Set([...(filters[f] ?? []), ...list])];
      return;
    }
    case "tag":
      filters.tags = [...new Set([...(filters.tags ?? []), ...values.map((v) => v.toLowerCase())])];
      return;
    case "type": {
      const list = values.map((v) => {
        const kind = KINDS[v.toLowerCase()];
        if (!kind) throw queryError(`type "${v}" does not exist; use ticket, message or contact`, pos);
        return kind;
      });
      filters.kinds = [...new Set([...(filters.kinds ?? []), ...list])];
      return;
    }
    case "from":
      for (const v of values) if (!EMAIL.test(v)) throw queryError(`from: needs an email address, not "${v}"`, pos);
      filters.fromEmails = [...new Set([...(filters.fromEmails ?? []), ...values.map((v) => v.toLowerCase())])];
      return;
    case "assignee":
      for (const v of values) {
        const lower = v.toLowerCase();
        if (lower === "me") out.assigneeMe = true;
        else if (lower === "none") filters.assigneeIds = [...(filters.assigneeIds ?? []), null];
        else if (EMAIL.test(v)) out.assigneeEmails.push(lower);
        else throw queryError(`assignee: takes me, none or an agent's email address, not "${v}"`, pos);
      }
      return;
    case "created": {
      if (values.length !== 1) throw queryError("created takes one date", pos);
      const day = parseDate(values[0]!, pos);
      // Whole UTC days, half-open: created>2026-01-01 starts on 2 January, created<=2026-01-31 ends before 1 February.
      const after = op === ">" ? new Date(day.getTime() + DAY_MS) : op === ">=" ? day : null;
      const before = op === "<" ? day : op === "<=" ? new Date(day.getTime() + DAY_MS) : null;
      if (after && (!filters.createdAfter || after > filters.createdAfter)) filters.createdAfter = after;
      if (before && (!filters.createdBefore || before < filters.createdBefore)) filters.createdBefore = before;
      return;
    }
  }
}

/** Parses a search query or throws a VALIDATION error naming the problem and its position. */
export function parseQuery(input: string): ParsedSearch {
  if (input.length > MAX_QUERY_LENGTH) throw queryError(`the query is longer than ${MAX_QUERY_LENGTH} characters`, MAX_QUERY_LENGTH);
  const tokens = tokenize(input);
  const out: ParsedSearch = { text: [], filters: {}, assigneeMe: false, assigneeEmails: [], customFields: [] };
  if (!tokens.length) throw queryError('the query is empty; type a word, a "phrase" or a filter such as status:open');
  if (tokens.filter((t) => t.type !== "or").length > MAX_QUERY_TERMS) {
    throw queryError(`too many words and filters (at most ${MAX_QUERY_TERMS})`, tokens[MAX_QUERY_TERMS]!.pos);
  }
  let joinNext = false;
  for (let k = 0; k < tokens.length; k++) {
    const tok = tokens[k]!;
    if (tok.type === "or") {
      const prev = tokens[k - 1];
      const next = tokens[k + 1];
      if (!prev || prev.type === "or" || !next || next.type === "or") throw queryError("OR needs a word or phrase on each side", tok.pos);
      if (prev.type === "filter" || next.type === "filter")
        throw queryError("OR joins words and phrases, not filters (status:open,pending lists values instead)", tok.pos);
      if ((prev.type === "term" && prev.term.negated) || (next.type === "term" && next.term.negated)) {
        throw queryError("OR cannot join an excluded term", tok.pos);
      }
      joinNext = true;
      continue;
    }
    if (tok.type === "filter") {
      applyFilter(tok, out.filters, out);
      continue;
    }
    if (joinNext) out.text.at(-1)!.push(tok.term);
    else out.text.push([tok.term]);
    joinNext = false;
  }
  const positive = out.text.some((g) => g.some((t) => !t.negated));
  const hasFilter = Object.keys(out.filters).length > 0 || out.assigneeMe || out.assigneeEmails.length > 0 || out.customFields.length > 0;
  if (!positive && !hasFilter) throw queryError("excluding words needs something to find: add a word or a filter");
  return out;
}
