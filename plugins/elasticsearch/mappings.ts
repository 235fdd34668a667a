import type { Client, estypes } from "@elastic/elasticsearch";
import type { ElasticsearchRuntime, ElasticsearchSettings } from "./options.js";

/**
 * One index per tenant, behind an alias: searches and writes use the alias
 * `<prefix>-<tenantId>`, the documents live in `<prefix>-<tenantId>-v<n>`. A
 * rebuild fills a new versioned index and moves the alias in one atomic
 * request, so searching never stops. Each tenant's index is separate, and every
 * request also routes by tenant and filters on tenantId: a mistake in one of
 * the three walls still leaves two.
 */
export function aliasFor(settings: ElasticsearchSettings, tenantId: string): string {
  const prefix = (settings.indexPrefix?.trim() || "deskgraph").toLowerCase();
  return `${prefix}-${tenantId}`;
}

export const versionedIndex = (alias: string, version: number) => `${alias}-v${version}`;

/**
 * Elasticsearch's built-in language analyzers (stop words and stemming) for
 * the languages the PostgreSQL search knows too; anything else gets the
 * standard analyzer (tokenised and lower-cased, no stemming).
 */
const LANGUAGES: Record<string, string> = {
  en: "english",
  english: "english",
  fr: "french",
  french: "french",
  de: "german",
  german: "german",
  sv: "swedish",
  swedish: "swedish",
  nl: "dutch",
  dutch: "dutch",
};

/** The analyzer type for a locale (`de`, `de-AT`) or a PostgreSQL configuration name (`german`). */
export function analyzerFor(locale: string | null | undefined): string {
  const key = (locale ?? "").toLowerCase();
  return LANGUAGES[key] ?? LANGUAGES[key.split(/[-_]/)[0]!] ?? "standard";
}

/**
 * Settings and explicit mappings (dynamic: strict, so a document with a field
 * we did not plan is refused rather than guessed). Text is analysed in the
 * tenant's language through `dg_text`; typo tolerance comes at query time
 * (fuzziness AUTO), so no n-gram fields are needed. Routing is required: a
 * write without the tenant's routing fails.
 */
export function indexBody(locale: string | null | undefined): {
  settings: estypes.IndicesIndexSettings;
  mappings: estypes.MappingTypeMapping;
} {
  const language = analyzerFor(locale);
  const keyword = { type: "keyword" } as const;
  return {
    settings: {
      analysis: {
        analyzer: {
          dg_text: { type: language } as estypes.AnalysisAnalyzer,
          // Names: no stemming, accents folded (Zoë finds Zoe).
          dg_name: { type: "custom", tokenizer: "standard", filter: ["lowercase", "asciifolding"] },
          // An email stays one token as well as its parts' tokens in `email`.
          dg_email: { type: "custom", tokenizer: "uax_url_email", filter: ["lowercase"] },
        },
      },
    },
    mappings: {
      dynamic: "strict",
      _routing: { required: true },
      properties: {
        kind: keyword,
        id: keyword,
        tenantId: keyword,
        ticketId: keyword,
        /** The ticket's requester (portal scope), or the contact itself. */
        contactId: keyword,
        /** Every data subject whose data the document carries (erasure). */
        subjectIds: keyword,
        internal: { type: "boolean" },
        status: keyword,
        priority: keyword,
        tags: keyword,
        assigneeId: keyword,
        fromEmail: keyword,
        createdAt: { type: "date" },
        subject: { type: "text", analyzer: "dg_text" },
        body: { type: "text", analyzer: "dg_text" },
        /** A message's files' text. */
        attachments: { type: "text", analyzer: "dg_text" },
        name: { type: "text", analyzer: "dg_name" },
        email: { type: "text", analyzer: "dg_email" },
        phone: { type: "text", analyzer: "standard" },
      },
    },
  };
}

/**
 * Adds to existing indices the fields of the current mappings they lack (an
 * index built by an earlier version; adding a field is all a mapping update
 * can do, and fields it has already are left as they are).
 */
export async function addNewFields(runtime: ElasticsearchRuntime, client: Client, indices: string[]): Promise<void> {
  const { properties } = indexBody(null).mappings;
  await runtime.call({ operation: "updateMapping", purpose: "support", categories: [], subjectIds: [] }, () =>
    client.indices.putMapping({ index: indices, properties }),
  );
}

/** The text fields a query searches, with weights, and that highlights come from. */
export const TEXT_FIELDS = ["subject^2", "body", "attachments", "name^2", "email", "phone"];
export const HIGHLIGHT_FIELDS = ["subject", "body", "attachments", "name", "email", "phone"];
