// Deskgraph as a server under test, in a process of its own (bench:compare).
// On server PostgreSQL it serves a database the parent has seeded; on PGlite,
// whose in-memory database lives in this process, it seeds the tenant itself
// and hands the credentials back. Either way it answers the bench's questions
// about the events it numbered (sequenced.ts).
import { openDatabase } from "../../src/db/database.js";
import { createServer } from "../../src/server.js";
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

const spec = childSpec<DeskgraphSpec>();
const config = benchConfig(spec.databaseUrl);
const database = await openDatabase(config);
await database.migrate();
const seeded: DeskgraphExtra = spec.seed ? await seedBenchTenant(database, spec.seed) : null;
const server = await createServer(config, { database });

reportReady<DeskgraphExtra>(
  {
    url: server.url,
    statements: () => database.queryCount,
    answer: (question) => answerSequenced(database, question as SequencedQuestion),
    async close() {
      await server.close();
      await database.close();
    },
  },
  seeded,
);
