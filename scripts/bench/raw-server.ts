// The floor for the tickets page (bench:compare): node:http and pg, no GraphQL,
// no framework. Per request, one API key lookup and one statement that builds
// the whole page as JSON inside PostgreSQL, in the shape Deskgraph answers
// TICKETS_PAGE with (global IDs included), so that the two answers can be compared.
// No audit trail and no field-level authorization: that is what makes it the floor.
//
//   GET /tickets   Authorization: Bearer <API key>
import { createServer } from "node:http";
import pg from "pg";
import { hashToken } from "../../src/auth/tokens.js";
import { childSpec, listenAndReport } from "./child-report.js";
import { countPgStatements } from "./count-statements.js";

const statements = countPgStatements();
const { databaseUrl } = childSpec<{ databaseUrl: string }>();
// The same pool size as Deskgraph's (pg's default of 10).
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });

const KEY = `SELECT "tenantId" FROM "ApiKey" WHERE "secretHash" = $1 AND "revokedAt" IS NULL`;

// Newest activity first, as Deskgraph's tickets connection; lastMessage includes
// internal notes, which a key with notes:read sees. Global IDs are Relay's base64("Type:id").
const PAGE = `
WITH page AS (
  SELECT id, number, subject, status, priority, "requesterId", "assigneeId", "updatedAt"
  FROM "Ticket" WHERE "tenantId" = $1 ORDER BY "updatedAt" DESC, id ASC LIMIT 50
)
SELECT json_build_object('data', json_build_object('tickets', json_build_object(
  'totalCount', (SELECT count(*) FROM "Ticket" WHERE "tenantId" = $1),
  'edges', coalesce(json_agg(json_build_object('node', json_build_object(
    'id', encode(convert_to('Ticket:' || p.id, 'UTF8'), 'base64'),
    'number', p.number,
    'subject', p.subject,
    'status', p.status,
    'priority', p.priority,
    'requester', json_build_object('name', c.name, 'email', c.email),
    'assignee', CASE WHEN a.id IS NULL THEN NULL ELSE json_build_object('name', a.name) END,
    'tags', coalesce((
      SELECT json_agg(json_build_object('name', g.name) ORDER BY g.name)
      FROM "TicketTag" tt JOIN "Tag" g ON g.id = tt."tagId" WHERE tt."ticketId" = p.id
    ), '[]'),
    'lastMessage', (
      SELECT json_build_object('body', m.body) FROM "Message" m
      WHERE m."tenantId" = $1 AND m."ticketId" = p.id ORDER BY m."createdAt" DESC, m.id DESC LIMIT 1
    )
  )) ORDER BY p."updatedAt" DESC, p.id ASC), '[]')
)))::text AS body
FROM page p JOIN "Contact" c ON c.id = p."requesterId" LEFT JOIN "Agent" a ON a.id = p."assigneeId"`;

async function ticketsPage(authorization: string | undefined): Promise<[number, string]> {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  if (!token) return [401, `{"error":"missing API key"}`];
  const key = await pool.query<{ tenantId: string }>(KEY, [hashToken(token)]);
  if (!key.rows[0]) return [401, `{"error":"unknown API key"}`];
  // Built as text in the database: nothing to parse or stringify here.
  const page = await pool.query<{ body: string }>(PAGE, [key.rows[0].tenantId]);
  return [200, page.rows[0]!.body];
}

const server = createServer((req, res) => {
  if (req.method !== "GET" || req.url !== "/tickets") {
    res.writeHead(404).end();
    return;
  }
  ticketsPage(req.headers.authorization).then(
    ([status, body]) => res.writeHead(status, { "content-type": "application/json" }).end(body),
    (err) => res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: String(err) })),
  );
});
await listenAndReport(server, "/tickets", statements, () => pool.end());
