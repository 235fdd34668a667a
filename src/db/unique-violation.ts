/**
 * Whether a write failed on a unique constraint. Prisma reports P2002, but
 * inside an interactive transaction the driver adapter's own error comes
 * through: kind UniqueConstraintViolation (pg), or PostgreSQL's SQLSTATE
 * 23505 as such (PGlite).
 */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { kind?: unknown; code?: unknown } };
  return (
    e?.code === "P2002" || e?.cause?.kind === "UniqueConstraintViolation" || (e?.cause?.kind === "postgres" && e.cause.code === "23505")
  );
}
