# syntax=docker/dockerfile:1
# Deskgraph: the compiled server on Node, without tsx, TypeScript or test tooling.
#   docker build -t deskgraph .
#   docker run -p 4000:4000 -v deskgraph-data:/data deskgraph        # embedded database in /data
# The scaled-out setup (PostgreSQL, Redis, Elasticsearch, two instances): compose.yaml.

ARG NODE_VERSION=20.20

# 1. Everything needed to compile: all dependencies, the generated Prisma client, tsc.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the only one we need is `prisma generate` (below, once the schema is
# here); others would try to download engines that the JS engine does not use.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY prisma.config.ts tsconfig.json tsconfig.build.json ./
COPY prisma ./prisma
COPY src ./src
COPY plugins ./plugins
COPY scripts/copy-build-assets.mjs scripts/build-snapshot.mjs ./scripts/
RUN npx prisma generate && npm run build

# 2. Production dependencies only.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# 3. What runs: node_modules, dist/ and nothing else, as an unprivileged user.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# `deskgraph <command>` (tenant, migrate, sweep …) runs the compiled build here: docker exec <container> ./bin/deskgraph.js tenant list
COPY bin ./bin
# The migrated empty database a new DATA_DIR starts from (made by the build; src/db/snapshot.ts).
COPY --from=build /app/node_modules/.cache/deskgraph ./node_modules/.cache/deskgraph
# "type": "module": dist/ is ESM.
COPY package.json ./
# The embedded database and its generated encryption key live in DATA_DIR (unused with DATABASE_URL).
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 4000
# /ready: 200 once the database answers (503 while it cannot be reached). Slim images have no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself as the process, not npm: SIGTERM from `docker stop` reaches the server directly.
CMD ["node", "--enable-source-maps", "--max-semi-space-size=32", "dist/src/main.js", "serve"]
