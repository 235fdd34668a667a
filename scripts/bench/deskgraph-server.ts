// Deskgraph as a server under test, in a process of its own (bench:compare).
// On server PostgreSQL it serves a database the parent has seeded; on PGlite,
// whose in-memory database lives in this process, it seeds the tenant itself
// and hands the credentials back. Either way it answers the bench's questions
// about the events it numbered (sequenced.ts). The server is the compiled
// build, as `npm start` runs it in production (buildServer() makes it first):
// the TypeScript loader's own work would be counted as the server's otherwise.
import { childSpec, reportReady } from "./child-report.js";
import { benchConfig } from "./config.js";
import { seedBenchTenant, type Seeded, type SeedSize } from "./seed.js";
import { answerSequenced, type SequencedQuestion } from "./sequenced.js";

export interface DeskgraphSpec {
  /** Server PostgreSQL; without it, PGlite in memory. */
  databaseUrl?: string;
  /** Seed a tenant of this size first (PGlite). */
  seed?: SeedSize;
}

/** What the parent gets back: the seeded tenant, when this process seeded it. */
export type DeskgraphExtra = Seeded | null;

// A path in a variable: the type checker, which runs before any build, takes the types from src/.
const BUILD = "../../dist/src/";
const { openDatabase } = (await import(`${BUILD}db/database.js`)) as typeof import("../../src/db/database.js");
const { createServer } = (await import(`${BUILD}server.js`)) as typeof import("../../src/server.js");

const spec = childSpec<DeskgraphSpec>();
const config = benchConfig(spec.databaseUrl);
const database = await openDatabase({ ...config, countStatements: true });
await database.migrate();
const seeded: DeskgraphExtra = spec.seed ? await seedBenchTenant(database, spec.seed) : null;
const server = await createServer(config, { database });

reportReady<DeskgraphExtra>(
  {
    url: server.url,
    statements: () => database.queryCount,
    backgroundStatements: () => database.backgroundQueryCount,
    answer: (question) => answerSequenced(database, question as SequencedQuestion),
    async close() {
      await server.close();
      await database.close();
    },
  },
  seeded,
);
