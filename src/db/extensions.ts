import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";

/** Extensions the migrations create: PGlite must load their code when it starts (pg_trgm: typo-tolerant search). */
export const EXTENSIONS = { pg_trgm };
