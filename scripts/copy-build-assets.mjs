// Part of `npm run build`: what tsc does not emit but the compiled server reads
// at run time, copied to the same place relative to it as in the source tree.
// Plain JavaScript, so that it runs before anything is compiled and without tsx.
import { cpSync, rmSync } from "node:fs";

const ASSETS = [
  // src/db/migrate.ts applies them from ../../prisma/migrations.
  ["prisma/migrations", "dist/prisma/migrations"],
];

for (const [from, to] of ASSETS) {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}
