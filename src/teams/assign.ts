import type { Prisma } from "../generated/prisma/client.js";
import type { AssignmentStrategy } from "../generated/prisma/enums.js";

interface RawClient {
  $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): PromiseLike<T>;
}

/** Who gets a ticket routed to a team: an agent's id, null when no member can take it now, undefined for MANUAL teams (the caller decides). */
export type Routed = string | null | undefined;

/**
 * Picks the member who gets the next ticket of a team, and moves the team's
 * round-robin cursor to them, in one statement. The statement locks the team's
 * row (FOR UPDATE) and nothing else, so concurrent assignments to one team
 * take turns for the length of a statement (of their transaction, inside one)
 * and other teams never wait. Members who are disabled or have set themselves
 * unavailable are skipped.
 *
 * ROUND_ROBIN: the next member after the cursor, by id, wrapping around.
 * LOAD_BALANCED: the member with the fewest tickets NEW, OPEN or PENDING
 * assigned; ties go round robin, so that concurrent picks (which cannot see
 * each other's uncommitted tickets) spread over equally loaded members.
 */
export async function pickAssignee(
  db: RawClient,
  tenantId: string,
  teamId: string,
): Promise<{ strategy: AssignmentStrategy; agentId: Routed } | null> {
  const rows = await db.$queryRaw<{ strategy: AssignmentStrategy; agentId: string | null }[]>`
    WITH team AS (
      SELECT "id", "strategy", "lastAssignedAgentId" FROM "Team"
      WHERE "id" = ${teamId}::uuid AND "tenantId" = ${tenantId}::uuid
      FOR UPDATE
    ),
    candidates AS (
      SELECT a."id",
        (SELECT count(*) FROM "Ticket" t
          WHERE t."tenantId" = ${tenantId}::uuid AND t."assigneeId" = a."id" AND t."status" IN ('NEW', 'OPEN', 'PENDING')) AS "load"
      FROM team
      JOIN "TeamMember" m ON m."teamId" = team."id"
      JOIN "Agent" a ON a."id" = m."agentId" AND a."tenantId" = ${tenantId}::uuid
      WHERE team."strategy" <> 'MANUAL' AND a."available" AND NOT a."disabled"
    ),
    pick AS (
      SELECT c."id" FROM candidates c, team
      ORDER BY CASE WHEN team."strategy" = 'LOAD_BALANCED' THEN c."load" ELSE 0 END,
        -- After the cursor first, then from the start: round robin by id.
        (team."lastAssignedAgentId" IS NOT NULL AND c."id" <= team."lastAssignedAgentId"), c."id"
      LIMIT 1
    ),
    moved AS (
      UPDATE "Team" SET "lastAssignedAgentId" = pick."id" FROM pick WHERE "Team"."id" = ${teamId}::uuid RETURNING pick."id"
    )
    SELECT team."strategy"::text AS "strategy", (SELECT "id" FROM moved) AS "agentId" FROM team`;
  const row = rows[0];
  if (!row) return null;
  return { strategy: row.strategy, agentId: row.strategy === "MANUAL" ? undefined : row.agentId };
}
