#!/usr/bin/env bash
# Writes prisma/migrations/<n>_<name>/migration.sql: the SQL that takes the schema
# as committed (git HEAD) to prisma/schema.prisma as it is now. Offline: no shadow
# database needed. Add hand-written SQL (indexes, triggers) to the file afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/new-migration.sh <name>}
last=$(ls prisma/migrations | grep -E '^[0-9]{4}_' | sort | tail -1 | cut -c1-4)
next=$(printf '%04d' $((10#${last:-0} + 1)))
dir="prisma/migrations/${next}_${name}"
old=$(mktemp --suffix=.prisma)
git show HEAD:prisma/schema.prisma > "$old"
mkdir -p "$dir"
npx prisma migrate diff --from-schema-datamodel "$old" --to-schema-datamodel prisma/schema.prisma --script > "$dir/migration.sql"
rm -f "$old"
echo "wrote $dir/migration.sql"
