import type { TenantClient } from "../db/tenant-scope.js";
import { Prisma } from "../generated/prisma/client.js";
import type { SimilarHit, SimilarRequest } from "./contract.js";

const sql = Prisma.sql;

/** The ticket's most frequent words considered; each costs one bounded index lookup for its rarity. */
const CANDIDATE_WORDS = 40;
/** The words of the query: the candidates that best tell this ticket apart (frequent here, rare in the tenant). */
const QUERY_WORDS = 12;
/**
 * A word found in this many public messages of the tenant or more says little
 * about what a ticket is about, and would make the query read that many rows:
 * it is left out. Counting stops there, so each lookup is bounded too.
 */
const COMMON_WORD = 500;

/**
 * The built-in search's answer to `similarTickets`, in one statement over the
 * indexed words (`searchVector`, already stemmed in the tenant's language):
 * the ticket's subject and public messages give their words; the words that
 * best tell it apart (TF-IDF: frequent in it, rare in the tenant, document
 * frequency counted in the text index) make an OR query; the solved and
 * closed tickets whose subject or public messages match are ranked by their
 * best match. Every matching row holds one of the chosen words, each in fewer
 * than COMMON_WORD messages, so the statement reads a bounded number of rows
 * whatever the tenant's size.
 */
export async function similarTickets(db: TenantClient, request: SimilarRequest): Promise<SimilarHit[]> {
  const { tenantId, ticketId, limit } = request;
  // A lexeme reaches tsquery input quoted ('word'): inside quotes only ' and \ are special, and such words are skipped.
  const quoted = (col: Prisma.Sql) => sql`('''' || ${col} || '''')`;
  const rows = await db.$queryRaw<{ id: string; score: number }[]>(sql`
    WITH own AS (
      SELECT w.lexeme, coalesce(array_length(w.positions, 1), 1) AS n
      FROM "Message" m, unnest(m."searchVector") AS w
      WHERE m."tenantId" = ${tenantId}::uuid AND m."ticketId" = ${ticketId}::uuid AND NOT m."internal"
      UNION ALL
      SELECT w.lexeme, 2 FROM "Ticket" t, unnest(t."searchVector") AS w
      WHERE t."tenantId" = ${tenantId}::uuid AND t."id" = ${ticketId}::uuid
    ), words AS (
      SELECT lexeme, sum(n) AS tf FROM own
      WHERE length(lexeme) >= 3 AND strpos(lexeme, '''') = 0 AND strpos(lexeme, '\\') = 0
      GROUP BY lexeme ORDER BY tf DESC, lexeme LIMIT ${CANDIDATE_WORDS}
    ), rated AS (
      SELECT w.lexeme, w.tf, (
        SELECT count(*) FROM (
          SELECT 1 FROM "Message" x
          WHERE x."tenantId" = ${tenantId}::uuid AND NOT x."internal" AND x."searchVector" @@ ${quoted(sql`w.lexeme`)}::tsquery
          LIMIT ${COMMON_WORD}
        ) c
      ) AS df
      FROM words w
    ), query AS (
      SELECT string_agg(${quoted(sql`lexeme`)}, ' | ')::tsquery AS q FROM (
        SELECT lexeme FROM rated WHERE df > 1 AND df < ${COMMON_WORD}
        ORDER BY tf * ln(${COMMON_WORD}::float8 / df) DESC, lexeme LIMIT ${QUERY_WORDS}
      ) chosen
    ), matched AS (
      SELECT m."ticketId" AS id, ts_rank(m."searchVector", query.q) AS score
      FROM query, "Message" m
      WHERE m."tenantId" = ${tenantId}::uuid AND m."searchVector" @@ query.q AND NOT m."internal"
        AND m."ticketId" <> ${ticketId}::uuid AND m."ticketStatus" IN ('SOLVED', 'CLOSED')
      UNION ALL
      SELECT t."id", ts_rank(t."searchVector", query.q)
      FROM query, "Ticket" t
      WHERE t."tenantId" = ${tenantId}::uuid AND t."searchVector" @@ query.q
        AND t."id" <> ${ticketId}::uuid AND t."status" IN ('SOLVED', 'CLOSED')
    )
    SELECT id::text AS id, max(score)::float8 AS score FROM matched
    GROUP BY id ORDER BY score DESC, id LIMIT ${limit}`);
  return rows.map((r) => ({ id: r.id, score: Number(r.score) }));
}
