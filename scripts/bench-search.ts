// Search at helpdesk scale: indexing rate through the triggers of migration
// 0007_search, and p50/p95/p99 latency of 20 fixed queries, on server
// PostgreSQL or on PGlite.
//
//   npm run bench:search -- --messages 1000000 --tickets 200000 --backend postgres
//   npm run bench:search -- --messages 100000 --tickets 20000 --backend pglite
//
// Data is generated in SQL (INSERT … SELECT over generate_series with word
// lists in English, French, German, Swedish and Dutch), so a million messages
// take minutes, not hours. Five tenants, one per language: the English one holds
// 60 % of the rows (the queries' worst case), the others 10 % each, all in the
// same tables and GIN indexes, as in a multi-tenant installation.
// Queries go through the built-in backend exactly as the API calls it (parse,
// typo lookup, matches with rank and total, snippets for the page of 20);
// GraphQL and HTTP are left out, as they do not depend on the data's size.
// Server PostgreSQL is DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres;
// the bench creates a database of its own there and drops it at the end.
import os from "node:os";
import { parseArgs } from "node:util";
import { openDatabase, type Database } from "../src/db/database.js";
import { parseQuery } from "../src/search/query.js";
import { searchLanguage } from "../src/search/language.js";
import { PostgresSearchBackend } from "../src/search/postgres-backend.js";
import type { SearchKind } from "../src/search/contract.js";
import { createBenchDatabase } from "./bench/database.js";
import { intOption } from "./bench/options.js";
import { benchLifecycle } from "./bench/lifecycle.js";

const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres";

const { values: args } = parseArgs({
  options: {
    messages: { type: "string" },
    tickets: { type: "string" },
    backend: { type: "string" },
    runs: { type: "string" },
    "max-minutes": { type: "string" },
    keep: { type: "boolean" },
    reuse: { type: "string" },
    help: { type: "boolean" },
  },
});
if (args.help) {
  console.log(`Usage: npm run bench:search -- [options]
  --messages <n>      messages in all (default 100000, max 2000000)
  --tickets <n>       tickets in all (default messages / 5)
  --backend <name>    postgres (server, default) or pglite (embedded, in memory)
  --runs <n>          measured runs of each query (default 30), after one warm-up run
  --max-minutes <n>   stop (and clean up) after this long (default 45)
  --keep              keep the server database (prints its URL) to run the queries again with --reuse
  --reuse <url>       run the queries on a database kept by --keep, without seeding`);
  process.exit(0);
}
const messages = intOption(args.messages, "messages", 100_000, 1000, 2_000_000);
const options = {
  messages,
  tickets: intOption(args.tickets, "tickets", Math.max(200, Math.round(messages / 5)), 100, 1_000_000),
  backend: args.backend ?? "postgres",
  runs: intOption(args.runs, "runs", 30, 1, 1000),
  maxMinutes: intOption(args["max-minutes"], "max-minutes", 45, 1, 240),
};
if (!["postgres", "pglite"].includes(options.backend)) {
  console.error("--backend must be postgres or pglite");
  process.exit(2);
}

const { cleanups, run } = benchLifecycle({ ms: options.maxMinutes * 60_000, label: `${options.maxMinutes} min` });

// ---- the data ----

/** Words of support conversations, most frequent first (picked with a skew towards the front). */
const WORDS: Record<string, string[]> = {
  en: `the to and a I my you is for it of in on not please we this have with can your order account invoice payment refund
    help thanks issue problem error login password email delivery shipping address card credit charge subscription plan cancel
    update change download upload file export report price discount late missing broken damaged package tracking number
    customer support team reply question request urgent today yesterday week month again still working received sent
    locked blocked reset verify confirm code app phone browser settings profile billing tax receipt statement outage slow`.split(/\s+/),
  fr: `le la les de des et un une je mon ma vous est pour pas sur avec commande compte facture factures paiement remboursement
    aide merci problème erreur connexion mot passe courriel livraison adresse carte crédit abonnement annuler modifier
    télécharger fichier prix remise retard manquant cassé colis suivi numéro client équipe réponse question demande urgent`.split(/\s+/),
  de: `der die das und ein eine ich mein Sie ist für nicht bitte mit auf Bestellung Konto Rechnung Rechnungen Zahlung Erstattung
    Hilfe danke Problem Fehler Anmeldung Passwort Lieferung Versand Adresse Karte Kreditkarte Abonnement kündigen ändern
    herunterladen Datei Preis Rabatt Verspätung fehlt beschädigt Paket Sendungsverfolgung Nummer Kunde Antwort Frage dringend`.split(/\s+/),
  sv: `och att det som en på är jag min för inte med till beställning konto faktura fakturor betalning återbetalning hjälp tack
    problem fel inloggning lösenord leverans leveransen frakt adress kort kreditkort prenumeration avbryta ändra ladda fil pris
    rabatt försenad saknas trasig paket spårning nummer kund svar fråga brådskande`.split(/\s+/),
  nl: `de het een en ik mijn u is voor niet met op van bestelling bestellingen account factuur facturen betaling terugbetaling
    hulp bedankt probleem fout inloggen wachtwoord levering verzending adres kaart creditcard abonnement opzeggen wijzigen
    downloaden bestand prijs korting vertraging ontbreekt kapot pakket volgen nummer klant antwoord vraag dringend`.split(/\s+/),
};
const FIRST = [
  "Jonas",
  "Camille",
  "Sanne",
  "Lukas",
  "Marie",
  "Matteo",
  "Sofia",
  "Noah",
  "Emma",
  "Elias",
  "Lea",
  "Hugo",
  "Mila",
  "Finn",
  "Ines",
  "Oskar",
  "Astrid",
  "Daan",
];
const LAST = [
  "Weber",
  "Martin",
  "Vries",
  "Rossi",
  "Novak",
  "Garcia",
  "Nielsen",
  "Kowalski",
  "Dubois",
  "Schmidt",
  "Jansen",
  "Costa",
  "Lindqvist",
  "Bakker",
];
const TAGS = ["billing", "account", "shipping", "bug", "feature", "refund", "vip", "urgent", "gdpr", "onboarding"];
const SHARES: [string, number][] = [
  ["en", 0.6],
  ["fr", 0.1],
  ["de", 0.1],
  ["sv", 0.1],
  ["nl", 0.1],
];

const sqlArray = (values: string[]) => `ARRAY[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(",")}]::text[]`;
/** n words from the list in $words, skewed towards its front (a rough Zipf), different for every row `i`. */
const sentence = (minWords: number, spread: number) =>
  `(SELECT string_agg(w[1 + floor(power(random(), 2) * array_length(w, 1))::int], ' ') FROM generate_series(1, ${minWords} + ((i::bigint * 7919) % ${spread})::int) g, (SELECT $words AS w) x WHERE i > 0)`;

interface TenantData {
  id: string;
  lang: string;
  tickets: number;
  messages: number;
}

async function exec(db: Database, sql: string) {
  await db.prisma.$executeRawUnsafe(sql);
}

async function seedTenant(
  db: Database,
  lang: string,
  tickets: number,
  messageCount: number,
): Promise<{ tenant: TenantData; messageMs: number; ticketMs: number; contactMs: number; contacts: number }> {
  const words = sqlArray(WORDS[lang]!);
  const [tenant] = await db.prisma.$queryRawUnsafe<{ id: string }[]>(
    `INSERT INTO "Tenant" ("id", "name", "slug", "defaultLocale", "ticketSeq", "updatedAt") VALUES (gen_random_uuid(), $1, $1, $2, $3, now()) RETURNING "id"`,
    `bench-${lang}`,
    lang,
    tickets,
  );
  const t = tenant!.id;
  const contacts = Math.max(50, Math.round(tickets / 2));
  let started = Date.now();
  await exec(
    db,
    `INSERT INTO "Contact" ("id", "tenantId", "name", "email", "createdAt", "updatedAt")
     SELECT gen_random_uuid(), '${t}', f.n || ' ' || l.n, lower(f.n || '.' || replace(l.n, ' ', '') || i || '@example.' || '${lang === "en" ? "com" : lang}'),
            now() - (random() * interval '730 days'), now()
     FROM generate_series(1, ${contacts}) i,
          LATERAL (SELECT (${sqlArray(FIRST)})[1 + (i % ${FIRST.length})] AS n) f,
          LATERAL (SELECT (${sqlArray(LAST)})[1 + ((i / ${FIRST.length}) % ${LAST.length})] AS n) l`,
  );
  const contactMs = Date.now() - started;
  await exec(
    db,
    `INSERT INTO "Agent" ("id", "tenantId", "email", "name", "role", "updatedAt")
     SELECT gen_random_uuid(), '${t}', 'agent' || i || '@${lang}.bench.test', 'Agent ' || i, 'AGENT', now() FROM generate_series(1, 20) i`,
  );
  await exec(db, `INSERT INTO "Tag" ("id", "tenantId", "name") SELECT gen_random_uuid(), '${t}', unnest(${sqlArray(TAGS)})`);
  started = Date.now();
  await exec(
    db,
    `WITH c AS (SELECT array_agg("id" ORDER BY "id") AS ids FROM "Contact" WHERE "tenantId" = '${t}'),
          a AS (SELECT array_agg("id" ORDER BY "id") AS ids FROM "Agent" WHERE "tenantId" = '${t}')
     INSERT INTO "Ticket" ("id", "tenantId", "number", "subject", "status", "priority", "channel", "requesterId", "assigneeId", "createdAt", "updatedAt", "lastMessageAt")
     SELECT gen_random_uuid(), '${t}', i, ${sentence(4, 7).replace("$words", words)},
            (ARRAY['NEW','OPEN','PENDING','SOLVED','CLOSED']::"TicketStatus"[])[1 + (i % 5)],
            (ARRAY['LOW','NORMAL','NORMAL','HIGH','URGENT']::"TicketPriority"[])[1 + ((i / 5) % 5)],
            'EMAIL', c.ids[1 + (i % array_length(c.ids, 1))],
            CASE WHEN i % 4 = 0 THEN NULL ELSE a.ids[1 + (i % array_length(a.ids, 1))] END,
            timestamp '2026-11-30' - ((i::float / ${tickets}) * interval '730 days'), now(), now()
     FROM generate_series(1, ${tickets}) i, c, a`,
  );
  const ticketMs = Date.now() - started;
  await exec(
    db,
    `INSERT INTO "TicketTag" ("tenantId", "ticketId", "tagId")
     SELECT DISTINCT '${t}'::uuid, tk."id", g."id" FROM "Ticket" tk
     JOIN LATERAL (SELECT "id" FROM "Tag" WHERE "tenantId" = '${t}' ORDER BY "name" OFFSET (tk."number" * 31) % 10 LIMIT 1 + tk."number" % 2) g ON true
     WHERE tk."tenantId" = '${t}'`,
  );
  // Messages in batches of 100,000 rows (one statement each), through the triggers.
  started = Date.now();
  const BATCH = 100_000;
  for (let from = 1; from <= messageCount; from += BATCH) {
    const to = Math.min(messageCount, from + BATCH - 1);
    await exec(
      db,
      `WITH tk AS (SELECT array_agg("id" ORDER BY "number") AS ids, array_agg("requesterId" ORDER BY "number") AS req, array_agg("createdAt" ORDER BY "number") AS at
                   FROM "Ticket" WHERE "tenantId" = '${t}')
       INSERT INTO "Message" ("id", "tenantId", "ticketId", "internal", "authorType", "authorContactId", "body", "channel", "createdAt")
       SELECT gen_random_uuid(), '${t}', tk.ids[1 + (i % ${tickets})], i % 10 = 3,
              CASE WHEN i % 2 = 0 THEN 'CONTACT'::"AuthorType" ELSE 'AGENT'::"AuthorType" END,
              CASE WHEN i % 2 = 0 THEN tk.req[1 + (i % ${tickets})] END,
              ${sentence(8, 40).replace("$words", words)}
                -- Every fifth message also names something rare (a product code, a surname): the vocabulary grows as a real one does.
                || CASE WHEN i % 5 = 0 THEN ' ' || translate(left(md5(i::text || '${lang}'), 9), '0123456789', 'ghijklmnop') ELSE '' END, 'EMAIL',
              tk.at[1 + (i % ${tickets})] + ((i / ${tickets}) * interval '3 hours')
       FROM generate_series(${from}, ${to}) i, tk`,
    );
  }
  const messageMs = Date.now() - started;
  return { tenant: { id: t, lang, tickets, messages: messageCount }, messageMs, ticketMs, contactMs, contacts };
}

interface SeedResult {
  tenants: TenantData[];
  messageMs: number;
  ticketMs: number;
  contactMs: number;
  contacts: number;
  single: number;
  singleMs: number;
}

/** The tenants of a database seeded by an earlier run (--keep); no indexing figures. */
async function existing(db: Database): Promise<SeedResult> {
  const rows = await db.prisma.$queryRawUnsafe<{ id: string; lang: string; tickets: number; messages: number; contacts: number }[]>(
    `SELECT t."id", t."defaultLocale" AS lang,
            (SELECT count(*)::int FROM "Ticket" WHERE "tenantId" = t."id") AS tickets,
            (SELECT count(*)::int FROM "Message" WHERE "tenantId" = t."id") AS messages,
            (SELECT count(*)::int FROM "Contact" WHERE "tenantId" = t."id") AS contacts
     FROM "Tenant" t WHERE t."slug" LIKE 'bench-%'`,
  );
  return {
    tenants: rows.map(({ contacts: _c, ...t }) => t),
    messageMs: NaN,
    ticketMs: NaN,
    contactMs: NaN,
    contacts: rows.reduce((s, r) => s + r.contacts, 0),
    single: 0,
    singleMs: NaN,
  };
}

async function seed(db: Database): Promise<SeedResult> {
  console.log(`Seeding ${options.messages} messages in ${options.tickets} tickets over 5 tenants (en 60 %, fr/de/sv/nl 10 % each)…`);
  const tenants: TenantData[] = [];
  let messageMs = 0;
  let ticketMs = 0;
  let contactMs = 0;
  let contacts = 0;
  for (const [lang, share] of SHARES) {
    const r = await seedTenant(
      db,
      lang,
      Math.max(100, Math.round(options.tickets * share)),
      Math.max(500, Math.round(options.messages * share)),
    );
    tenants.push(r.tenant);
    messageMs += r.messageMs;
    ticketMs += r.ticketMs;
    contactMs += r.contactMs;
    contacts += r.contacts;
    console.log(
      `  ${lang}: ${r.tenant.messages} messages in ${(r.messageMs / 1000).toFixed(1)} s, ${r.tenant.tickets} tickets in ${(r.ticketMs / 1000).toFixed(1)} s`,
    );
  }

  // One message at a time, as the API writes them: each statement pays the row trigger and the vocabulary trigger.
  const en = tenants.find((t) => t.lang === "en")!;
  const single = 500;
  const [ticket] = await db.prisma.$queryRawUnsafe<{ id: string }[]>(
    `SELECT "id" FROM "Ticket" WHERE "tenantId" = $1::uuid LIMIT 1`,
    en.id,
  );
  let started = performance.now();
  for (let i = 0; i < single; i++) {
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO "Message" ("id", "tenantId", "ticketId", "authorType", "body", "channel") VALUES (gen_random_uuid(), $1::uuid, $2::uuid, 'AGENT', $3, 'EMAIL')`,
      en.id,
      ticket!.id,
      `Single insert ${i}: the customer asks again about invoice ${i} and the refund for order ${i * 7}, unusualword${i}`,
    );
  }
  const singleMs = performance.now() - started;
  // What the triggers cost a write, inside the database: 2,000 single-row INSERTs in a DO block, with and without them.
  const inserts = `DO $$ DECLARE t uuid := '${en.id}'; k uuid := '${ticket!.id}'; BEGIN FOR i IN 1..2000 LOOP
      INSERT INTO "Message" ("id", "tenantId", "ticketId", "authorType", "body", "channel")
      VALUES (gen_random_uuid(), t, k, 'AGENT', 'Trigger cost ' || i || ': the customer asks again about the invoice and the refund, ref' || md5(i::text), 'EMAIL');
    END LOOP; END $$`;
  started = performance.now();
  await db.prisma.$executeRawUnsafe(inserts);
  const withTriggersMs = performance.now() - started;
  await db.prisma.$executeRawUnsafe(`ALTER TABLE "Message" DISABLE TRIGGER USER`);
  started = performance.now();
  await db.prisma.$executeRawUnsafe(inserts);
  const withoutTriggersMs = performance.now() - started;
  await db.prisma.$executeRawUnsafe(`DELETE FROM "Message" WHERE "searchVector" IS NULL`);
  await db.prisma.$executeRawUnsafe(`ALTER TABLE "Message" ENABLE TRIGGER USER`);
  console.log(
    `  trigger cost: 2,000 single-row inserts in ${withTriggersMs.toFixed(0)} ms with the search triggers, ${withoutTriggersMs.toFixed(0)} ms without (${((withTriggersMs - withoutTriggersMs) / 2000).toFixed(3)} ms a message)`,
  );
  // Steady state: statistics for the planner and the visibility map, as autovacuum keeps them.
  await db.prisma.$executeRawUnsafe("VACUUM ANALYZE");
  return { tenants, messageMs, ticketMs, contactMs, contacts, single, singleMs };
}

// ---- the queries ----

interface BenchQuery {
  lang: string;
  query: string;
}

/** A fixed mix: words, phrases, OR, exclusion, filters, typos; four in the other languages. */
function queries(fromEmail: string): BenchQuery[] {
  return [
    { lang: "en", query: "refund" },
    { lang: "en", query: "invoice payment" },
    { lang: "en", query: `"credit card"` },
    { lang: "en", query: "password OR login" },
    { lang: "en", query: "delivery -late" },
    { lang: "en", query: "status:open refund" },
    { lang: "en", query: "tag:billing invoice" },
    { lang: "en", query: "priority:urgent outage" },
    { lang: "en", query: "type:ticket subscription" },
    { lang: "en", query: "created>2026-06-01 shipping" },
    { lang: "en", query: `from:${fromEmail}` },
    { lang: "en", query: "invocie" },
    { lang: "en", query: "shiping adress" },
    { lang: "en", query: `"tracking number" status:pending` },
    { lang: "en", query: "account locked OR blocked" },
    { lang: "en", query: "type:contact schmidt" },
    { lang: "fr", query: "factures remboursement" },
    { lang: "de", query: "Rechnungen -Versand" },
    { lang: "sv", query: "leveransen försenad" },
    { lang: "nl", query: "bestelling OR facturen" },
  ];
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main() {
  const cpus = os.cpus();
  console.log(
    `Machine: ${os.availableParallelism()} CPUs (${cpus[0]?.model.trim() ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" / ")}`,
  );
  let databaseUrl: string | undefined;
  if (args.reuse) {
    databaseUrl = args.reuse;
    console.log(`Reusing ${new URL(databaseUrl).pathname.slice(1)}`);
  } else if (options.backend === "postgres") {
    const serverUrl = process.env.DATABASE_URL || DEFAULT_SERVER_URL;
    const target = await createBenchDatabase(serverUrl, "deskgraph_search_bench", cleanups);
    if ("unreachable" in target) throw new Error(`PostgreSQL at ${new URL(serverUrl).host} is unreachable: ${target.unreachable}`);
    console.log(`PostgreSQL ${target.version} at ${new URL(serverUrl).host}`);
    databaseUrl = target.url;
    if (args.keep) {
      cleanups.splice(0); // the drop registered by createBenchDatabase
      console.log(`Keeping the database: --reuse ${databaseUrl}`);
    }
  } else {
    console.log("PGlite, in memory");
  }
  const db = await openDatabase({ databaseUrl, dataDir: "memory://" });
  cleanups.push(() => db.close());
  await db.migrate();

  const seeded = args.reuse ? await existing(db) : await seed(db);
  const { tenants, messageMs, ticketMs, contactMs, contacts, single, singleMs } = seeded;
  const totalMessages = tenants.reduce((s, t) => s + t.messages, 0);
  const totalTickets = tenants.reduce((s, t) => s + t.tickets, 0);
  const en = tenants.find((t) => t.lang === "en")!;
  const [vocabulary] = await db.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM "SearchWord"`);

  const [someone] = await db.prisma.$queryRawUnsafe<{ email: string }[]>(
    `SELECT "email" FROM "Contact" WHERE "tenantId" = $1::uuid ORDER BY "email" LIMIT 1 OFFSET 10`,
    en.id,
  );
  const list = queries(someone!.email);
  const kinds: SearchKind[] = ["TICKET", "MESSAGE", "CONTACT"];
  console.log(`Running ${list.length} queries × (1 warm-up + ${options.runs} runs), page of 20, as an OWNER (all kinds, notes included)…`);
  const rows: { lang: string; query: string; total: number; p50: number; p95: number; p99: number }[] = [];
  const all: number[] = [];
  for (const q of list) {
    const tenant = tenants.find((t) => t.lang === q.lang)!;
    const backend = new PostgresSearchBackend(db.forTenant(tenant.id));
    const times: number[] = [];
    let total = 0;
    for (let run = 0; run <= options.runs; run++) {
      const t0 = performance.now();
      const parsed = parseQuery(q.query);
      const page = await backend.search({
        query: { text: parsed.text, filters: parsed.filters },
        scope: { tenantId: tenant.id, kinds, notes: true },
        language: searchLanguage(tenant.lang),
        offset: 0,
        limit: 20,
      });
      const ms = performance.now() - t0;
      total = page.total;
      if (run > 0) times.push(ms);
    }
    times.sort((a, b) => a - b);
    all.push(...times);
    rows.push({ lang: q.lang, query: q.query, total, p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99) });
  }
  all.sort((a, b) => a - b);

  console.log("");
  console.log(
    `backend: ${options.backend}; ${totalMessages} messages, ${totalTickets} tickets, ${contacts} contacts; vocabulary ${vocabulary!.n} words`,
  );
  if (!args.reuse)
    console.log(
      `indexing, bulk (INSERT … SELECT through the triggers): messages ${Math.round(totalMessages / (messageMs / 1000))} rows/s, tickets ${Math.round(totalTickets / (ticketMs / 1000))} rows/s, contacts ${Math.round(contacts / (contactMs / 1000))} rows/s`,
    );
  if (!args.reuse)
    console.log(
      `indexing, one message per statement: ${Math.round(single / (singleMs / 1000))} rows/s (${(singleMs / single).toFixed(2)} ms each)`,
    );
  console.log("");
  const header = ["lang", "query", "matches", "p50 ms", "p95 ms", "p99 ms"];
  const body = rows.map((r) => [r.lang, r.query, String(r.total), r.p50.toFixed(1), r.p95.toFixed(1), r.p99.toFixed(1)]);
  body.push([
    "all",
    `${list.length} queries × ${options.runs} runs`,
    "",
    percentile(all, 50).toFixed(1),
    percentile(all, 95).toFixed(1),
    percentile(all, 99).toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of body) console.log(line(row));
  console.log(
    `\nload average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" / ")}`,
  );
}

run(main);
