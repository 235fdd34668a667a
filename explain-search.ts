import pg from "pg";
import { openDatabase } from "./src/db/database.js";
import { parseQuery } from "./src/search/query.js";
import { PostgresSearchBackend } from "./src/search/postgres-backend.js";
const url = process.argv[2]!; const q = process.argv[3]!; const lang = process.argv[4] ?? "en";
const db = await openDatabase({ databaseUrl: url, dataDir: "memory://" });
const statements: { query: string; params: string }[] = [];
(db.prisma as any).$on("query", (e: any) => statements.push({ query: e.query, params: e.params }));
const [tenant] = await db.prisma.$queryRawUnsafe<{ id: string }[]>(`SELECT id FROM "Tenant" WHERE slug = $1`, `bench-${lang}`);
statements.length = 0;
const parsed = parseQuery(q);
const cfg = { en: "english", fr: "french", de: "german", sv: "swedish", nl: "dutch" }[lang]!;
await new PostgresSearchBackend(db.forTenant(tenant!.id)).search({ query: { text: parsed.text, filters: parsed.filters }, scope: { tenantId: tenant!.id, kinds: ["TICKET", "MESSAGE", "CONTACT"], notes: true }, language: cfg, offset: 0, limit: 20 });
const client = new pg.Client({ connectionString: url }); await client.connect();
for (const s of statements) {
  if (/^\s*(BEGIN|COMMIT)/i.test(s.query)) continue;
  if (/^\s*SET LOCAL/i.test(s.query)) { await client.query("BEGIN"); await client.query(s.query); continue; }
  const params = JSON.parse(s.params);
  const t0 = performance.now();
  const r = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${s.query}`, params);
  const ms = performance.now() - t0;
  console.log(`---- ${ms.toFixed(1)} ms: ${s.query.replace(/\s+/g, " ").slice(0, 160)}`);

  if (process.argv[5]) console.log(r.rows.map((x: any) => x["QUERY PLAN"]).join("\n"));
}
await client.end(); await db.close();
