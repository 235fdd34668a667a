import { randomUUID } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createYoga, type GraphiQLOptions } from "graphql-yoga";
import { startRealtime } from "./events/realtime.js";
import { authorizationOf, serveWebSockets } from "./events/ws.js";
import { startWebhookWorker } from "./webhooks/worker.js";
import { webhookFanout } from "./webhooks/fanout.js";
import { messageHookConsumers } from "./plugin-host/message-hook.js";
import type { Logger } from "pino";
import { SignInLimiter } from "./agents/sign-in-limiter.js";
import { auditPlugin } from "./audit/audit-envelop.js";
import { ApiRateLimiter } from "./billing/api-rate.js";
import { apiRateLimit } from "./billing/api-rate-envelop.js";
import { tenantFairShare } from "./tenants/fair-share.js";
import { bodyLimit } from "./http/body-limit.js";
import { subscriptionReads } from "./audit/subscription-reads.js";
import { deleteDueTenants, type ClosureReceipt } from "./tenants/closure.js";
import { authenticateOperator } from "./tenants/operator-auth.js";
import { readOnlyGuard } from "./billing/read-only.js";
import { createBillingHost } from "./billing/setup.js";
import { BILLING_WEBHOOK_PATH, handleBillingWebhook } from "./billing/webhook.js";
import { startCredentialCache } from "./auth/credential-cache.js";
import { authenticate } from "./auth/viewer.js";
import type { Config } from "./config.js";
import { openDatabase, type Database } from "./db/database.js";
import { migrateWhenReachable } from "./db/migrate.js";
import { RETRY_AFTER_SECONDS, serviceUnavailable } from "./errors.js";
import { createContext, type Context } from "./context.js";
import { errorsPlugin, maskDatabaseOutage } from "./graphql/errors-envelop.js";
import { graphqlJsSubscriptions } from "./graphql/engine.js";
import { introspectionGuard } from "./graphql/introspection.js";
import { queryLimits } from "./graphql/query-limits.js";
import { corsPolicy } from "./http/cors.js";
import { graphqlOverHttpOnly } from "./http/content-types.js";
import { readinessCheck } from "./readiness.js";
import { createMetrics } from "./observability/metrics.js";
import { handleMetrics, METRICS_PATH } from "./observability/metrics-route.js";
import { logAccess } from "./observability/access-log.js";
import { startTracing } from "./observability/tracing.js";
import { loadManifest, persistedOperations, socketDocument } from "./graphql/persisted-operations.js";
import { drainRequests } from "./http/drain.js";
import { schema } from "./graphql/schema.js";
import { shutDownInOrder } from "./shutdown.js";
import { createLogger } from "./logger.js";
import { scheduleRetentionSweeps } from "./retention/schedule.js";
import { keepStatisticsCurrent } from "./db/statistics.js";
import { shippedPlugins } from "./plugin-host/shipped.js";
import type { PluginHost } from "./plugin-host/host.js";
import { handlePluginHttp } from "./plugin-host/http.js";
import { handleExportDownload } from "./privacy/requests/download.js";
import type { AnyPlugin } from "./plugin-host/plugin.js";
import { handleAttachmentContent } from "./attachments/routes.js";
import { drainBlobDeletions } from "./blobs/deletions.js";
import { logBlobStorage } from "./blobs/startup-log.js";
import { deleteAbandonedUploads } from "./attachments/abandoned.js";
import { moveAttachmentsToStore } from "./attachments/move-to-store.js";
import { automationConsumer } from "./automations/consumer.js";
import { notificationConsumer } from "./notifications/consumer.js";
import { NotificationWorker } from "./notifications/worker.js";
import { handleLink } from "./notifications/routes.js";
import { attachmentTextConsumer } from "./attachments/extract/consumer.js";
import { textExtractor } from "./attachments/extract/pool.js";
import { extractPendingTexts } from "./attachments/extract/service.js";
import { applyScanMode } from "./attachments/scan-mode.js";
import { ScanWorker } from "./attachments/scan-worker.js";
import { deleteExpiredQuarantine } from "./attachments/quarantine.js";
import { PluginRegistry } from "./plugin-host/registry.js";
import { operatorCapability } from "./plugin-host/capabilities.js";
import { SecretBox } from "./plugin-host/secrets.js";
import { startLocalTraining } from "./ai/local/training-loop.js";
import { Scheduler } from "./scheduler/scheduler.js";
import { MetricsRefresher } from "./metrics/refresher.js";
import { slaConsumer } from "./sla/consumer.js";
import { slaBreachJob, slaWarningJob } from "./sla/jobs.js";
import { elapsedJob } from "./automations/timers.js";

export interface RunningServer {
  url: string;
  database: Database;
  log: Logger;
  /**
   * Resolves once the audit entries and events committed so far (of one tenant,
   * or of all) are numbered: for tools and tests that read them directly.
   */
  sequenced(tenantId?: string): Promise<void>;
  /**
   * Numbers what was committed so far (of one tenant, or of all), then runs a
   * pass of every event consumer on this instance: what they could do with
   * those events is done when it resolves (one in its retry delay waits).
   */
  consumed(tenantId?: string): Promise<void>;
  /** Runs a pass of this instance's scheduler now: the jobs due so far have fired when it resolves. */
  scheduled(): Promise<void>;
  /** Runs a pass of this instance's metrics refresher now: the rollup counts what was committed so far when it resolves (unless another instance had a tenant). */
  metricsRefreshed(): Promise<void>;
  /** Trains a tenant's local AI model now, as the background training does when the tenant first needs it. */
  trainAi(tenantId: string): Promise<void>;
  /**
   * Runs the attachment scan worker of this instance now and resolves when the
   * scans it started are done (a file waiting for its retry still waits).
   */
  scanned(): Promise<void>;
  /** Deletes the closed tenants whose period is over, as the retention schedule does (tests move `now`). */
  deleteClosedTenants(now?: Date): Promise<ClosureReceipt[]>;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Reuse an open database instead of opening one from the config. */
  database?: Database;
  log?: Logger;
  /** The plugins to load instead of the shipped ones (tests). */
  plugins?: AnyPlugin[];
  /**
   * Runs after migrations and before the server listens: data the first request
   * must find (the demo tenant) exists before anyone can ask.
   */
  prepare?: (database: Database) => Promise<void>;
}

const REQUEST_ID = /^[\w.:-]{1,100}$/;

const DEFAULT_QUERY = `# Send your token in the headers below: { "Authorization": "Bearer <token>" }
query FirstQuery {
  viewer { tenant { name } permissions }
  tickets(first: 10, filter: { status: [NEW, OPEN] }) {
    totalCount
    edges { node { id number subject status requester { name } tags { name } } }
  }
}
`;

/**
 * The page is megabytes of inlined assets: built once per set of options, not on every load.
 * Its module is loaded with the first page, not with the server (it costs a start 0.15 s of CPU).
 */
function renderedOnce(): (opts: GraphiQLOptions) => Promise<string> {
  let last: { key: string; html: Promise<string> } | undefined;
  return (opts) => {
    const key = JSON.stringify(opts ?? null);
    if (last?.key !== key) last = { key, html: import("@graphql-yoga/render-graphiql").then(({ renderGraphiQL }) => renderGraphiQL(opts)) };
    return last.html;
  };
}

export async function createServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  // Before anything opens: a bad plugin option stops the server with a ConfigError naming the
  // variable, a broken manifest with a message naming the plugin and the problem.
  const registry = new PluginRegistry(options.plugins ?? shippedPlugins, config.environment);
  const log = options.log ?? createLogger(config.logLevel);
  const database = options.database ?? (await openDatabase({ ...config, log }));
  if (!options.database) {
    // A database that is not up yet (containers starting together, a restart) is waited for, within a bound.
    const ran = await migrateWhenReachable(() => database.migrate(), {
      waitMs: config.databaseStartupWaitMs,
      onRetry: ({ attempt, reason, delayMs, remainingMs }) =>
        log.warn({ attempt, reason, retryInMs: delayMs, givingUpInMs: remainingMs }, "database not reachable yet; retrying"),
    }).catch(async (err) => {
      await database.close();
      throw err;
    });
    if (ran.length) log.info({ migrations: ran }, "applied migrations");
  }
  await options.prepare?.(database).catch(async (err) => {
    if (!options.database) await database.close();
    throw err;
  });
  logBlobStorage(log, database, registry);
  // Off without an OTLP endpoint: then the SDK is not even loaded.
  const tracing = await startTracing(config.operations.tracing, log);
  const signInLimiter = new SignInLimiter({ ...config.signIn, redisUrl: config.redisUrl, log });
  const plugins: PluginHost = {
    registry,
    secrets: new SecretBox(config.encryptionKey, config.previousEncryptionKeys),
    database,
    log,
    billing: createBillingHost(config, await operatorCapability(registry, "billingProvider")),
  };
  const apiRate = new ApiRateLimiter({ config, database, log, billing: plugins.billing });
  const credentials = await startCredentialCache(database, config.credentialCache, log);
  const auth = { cache: credentials, log };
  const realtime = startRealtime(
    database,
    config.redisUrl,
    log,
    config.eventPollMs,
    config.eventRetentionDays,
    auth,
    config.sequencerPollMs,
  );
  const services = { config, database, log, signInLimiter, plugins, realtime, tracing };
  // Notifications to people (src/notifications/): links in them point at the public URL, else at this server.
  let publicBase = config.publicUrl ?? "";
  const notifications = new NotificationWorker(services, () => ({ config, baseUrl: publicBase }));
  const requestIds = new WeakMap<Request, string>();
  // Off without METRICS_TOKEN: nothing is counted that nobody may read.
  const metrics = config.operations.metricsToken ? createMetrics(database, log) : undefined;
  if (metrics) realtime.sequencer.onWaits((waited) => metrics.eventsNumbered(waited));
  const persisted = config.operations.persistedOperations;
  const manifest = persisted !== "off" ? loadManifest(config.operations.persistedOperationsFile!) : undefined;
  // With PERSISTED_OPERATIONS=require, documents of their own only for signed-in agents in development (GraphiQL).
  const agentInDevelopment = async (authorization: string | null) =>
    !config.production && (await authenticate(database, authorization, auth).catch(() => ({ viewer: null }))).viewer?.kind === "agent";

  const subscriptionReadsRecorder = subscriptionReads(config.subscriptionReadsWindowMs);
  const yoga = createYoga<{ req: IncomingMessage }, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    // Off in production unless GRAPHIQL=true. Rendered with its assets inlined from
    // @graphql-yoga/render-graphiql: yoga's own page loads them from a CDN.
    graphiql: config.http.graphiql && { title: "Deskgraph", defaultQuery: DEFAULT_QUERY },
    renderGraphiQL: renderedOnce(),
    // bodyLimit below refuses a body over MAX_BODY_BYTES instead, without counting a declared length again.
    maxRequestBodySize: false,
    // A persisted operation is named by its documentId instead of a query.
    extraParamNames: persisted !== "off" ? ["documentId"] : [],
    // Yoga's default echoes any origin and allows credentials; corsPolicy below replaces it.
    cors: false,
    // File uploads (the GraphQL multipart request spec), taken only with a preflight header (graphqlOverHttpOnly).
    multipart: true,
    // Masking happens in errorsPlugin, which knows the request id. Only an outage of the
    // database is translated here, for errors raised outside execution (plugin hooks).
    maskedErrors: { maskError: maskDatabaseOutage(database.health) },
    logging: {
      debug: (...a) => log.debug(a.map(String).join(" ")),
      info: (...a) => log.info(a.map(String).join(" ")),
      warn: (...a) => log.warn(a.map(String).join(" ")),
      error: (...a) => log.error(a.map(String).join(" ")),
    },
    plugins: [
      graphqlJsSubscriptions(),
      corsPolicy(config.http.corsOrigins),
      graphqlOverHttpOnly(),
      bodyLimit(config.http.maxBodyBytes),
      readinessCheck(database, realtime.bus, { sequencerLagSeconds: config.operations.readySequencerLagSeconds }),
      ...(metrics ? [metrics.plugin()] : []),
      ...(manifest && persisted !== "off"
        ? [
            persistedOperations({
              mode: persisted,
              manifest,
              mayRunDocuments: (request) => agentInDevelopment(request.headers.get("authorization")),
            }),
          ]
        : []),
      // After persisted operations, which put the manifest's document into the params the span hashes.
      ...(tracing ? [tracing.plugin()] : []),
      errorsPlugin(log, { suggestions: config.http.introspection }),
      queryLimits(config.limits),
      introspectionGuard(config.http.introspection),
      // Before everything that works for an operation (audit, publishing): a refused one costs a counter only.
      apiRateLimit(apiRate),
      auditPlugin(),
      subscriptionReadsRecorder.plugin,
      // After auditPlugin: a mutation refused for a read-only tenant is still audited (as refused).
      readOnlyGuard(),
      // Last around execution: a refused operation (rate, read-only) takes no turn, and a turn lasts
      // until the plugins above are done with the result, its audit entry written.
      tenantFairShare(config.tenantMaxConcurrentOperations),
      {
        onRequest({ request }) {
          const given = request.headers.get("x-request-id");
          requestIds.set(request, given && REQUEST_ID.test(given) ? given : randomUUID());
        },
        onResponse({ request, response }) {
          const id = requestIds.get(request);
          if (id) response.headers.set("x-request-id", id);
        },
      },
    ],
    context: async (initial) => {
      // HTTP and SSE carry the credential in a header; WebSockets in connection_init.
      const { request, req, connectionParams } = initial as typeof initial & { connectionParams?: Record<string, unknown> };
      const requestId = (request && requestIds.get(request)) ?? randomUUID();
      const authorization = request?.headers.get("authorization") ?? authorizationOf(connectionParams);
      // While the database is known to be away, refuse at once instead of waiting for a query to fail.
      if (!database.health.available) throw serviceUnavailable();
      // `Operator <key>`: the operator, who is never a tenant's viewer.
      const operator = authenticateOperator(config.operatorKey, authorization);
      if (operator && !operator.operator) log.warn({ requestId, clientIp: req?.socket?.remoteAddress }, "operator key refused");
      const { viewer, failure } = operator
        ? { viewer: null, failure: operator.operator ? undefined : operator.failure }
        : await authenticate(database, authorization, auth).catch((err: unknown) => {
            throw database.health.isOutage(err) ? serviceUnavailable() : err;
          });
      return createContext({
        requestId,
        config,
        database,
        log: log.child({ requestId }),
        clientIp: req?.socket?.remoteAddress ?? "unknown",
        viewer,
        authFailure: failure,
        operator: operator?.operator === true,
        signInLimiter,
        plugins,
        realtime,
        authorization,
        credentials,
        notifications,
        tracing,
      });
    },
  });

  // Routes outside GraphQL: a database outage is a 503 with Retry-After there too (vendors and
  // browsers retry on it), anything else a logged 500.
  const failed = (res: ServerResponse, what: string) => (err: unknown) => {
    if (database.health.isOutage(err)) {
      log.warn({ route: what }, "database unavailable during a request");
      if (!res.headersSent) res.writeHead(503, { "retry-after": String(RETRY_AFTER_SECONDS) }).end();
      return;
    }
    log.error({ err }, `${what} failed`);
    if (!res.headersSent) res.writeHead(500).end();
  };
  // Requests under way, so that a shutdown can wait for them (src/http/drain.ts).
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  const route = (req: IncomingMessage, res: ServerResponse) => {
    // One request id for every route: in the access log, the response header and yoga's context.
    const given = req.headers["x-request-id"];
    const requestId = typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    req.headers["x-request-id"] = requestId;
    res.setHeader("x-request-id", requestId);
    logAccess(log, req, res, requestId);
    inFlight.add(res);
    res.once("close", () => inFlight.delete(res));
    // Shutting down: this connection is not kept for another request.
    if (draining) res.setHeader("connection", "close");
    if (req.url?.split("?")[0] === METRICS_PATH) {
      handleMetrics(metrics, config.operations.metricsToken, req, res).catch(failed(res, "metrics"));
      return;
    }
    if (req.url?.startsWith("/attachments/")) {
      handleAttachmentContent(services, req, res).catch(failed(res, "attachment content"));
      return;
    }
    if (req.url?.startsWith("/exports/")) {
      handleExportDownload(services, req, res).catch(failed(res, "export download"));
      return;
    }
    if (req.url?.split("?")[0] === BILLING_WEBHOOK_PATH) {
      handleBillingWebhook(services, req, res).catch(failed(res, "billing webhook"));
      return;
    }
    if (req.url?.startsWith("/links/")) {
      handleLink({ ...services, notifications }, req, res).catch(failed(res, "notification link"));
      return;
    }
    if (req.url?.startsWith("/plugins/")) {
      handlePluginHttp(services, req, res).catch(failed(res, "plugin route"));
      return;
    }
    yoga(req, res);
  };
  // With tracing on, each request runs in its span (continuing the caller's trace); off, nothing is in the way.
  const http = createHttpServer(tracing ? (req, res) => tracing.serve(req, res, () => route(req, res)) : route);
  // Longer than the idle timeout of the clients and proxies in front (often 60 s): a kept-alive
  // connection is never closed here at the moment a client sends the next request on it.
  http.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.port, config.host, resolve);
  });
  const ws = serveWebSockets(
    http,
    yoga,
    database,
    auth,
    (payload, contextValue) => {
      if (!manifest || persisted === "off") return payload.query ?? "";
      const viewer = (contextValue as Context).viewer;
      return socketDocument({ mode: persisted, manifest, mayRunDocuments: !config.production && viewer?.kind === "agent" }, payload);
    },
    metrics?.sockets,
  );
  const webhooks = startWebhookWorker({ ...services, schema });
  // Attachment text (search, erasure) is read in a worker thread, started with the first file.
  const text = { config, database, log, extractor: textExtractor(config) };
  // The work that follows committed events: each a consumer with its own cursor (src/events/consumers/).
  realtime.consumers.register(webhookFanout(() => void webhooks.kick()));
  for (const consumer of messageHookConsumers(services)) realtime.consumers.register(consumer);
  realtime.consumers.register(attachmentTextConsumer(text));
  realtime.consumers.register(slaConsumer());
  realtime.consumers.register(automationConsumer(services, () => void webhooks.kick()));
  realtime.consumers.register(notificationConsumer(() => void notifications.kick()));
  realtime.consumers.start();
  // Durable timers (src/scheduler/): SLA warnings and breaches, and automation rules' timers, become events when they are due.
  const scheduler = new Scheduler(database, log).register(slaWarningJob).register(slaBreachJob).register(elapsedJob).start();
  // The rollup `metrics` reads (src/metrics/): recounts the days written to since its last pass.
  const metricsRefresher = new MetricsRefresher(database, log, config.metricsRefreshSeconds * 1000).start();
  const scanning = config.attachments.scanning.mode;
  const operatorScanner = await operatorCapability(registry, "operatorAttachmentScanner");
  if (scanning === "off") log.warn("ATTACHMENT_SCANNING=off: attachments are served without a malware scan (scanStatus NOT_SCANNED)");
  else if (!operatorScanner)
    log.warn(
      "ATTACHMENT_SCANNING=required but no operator scanner is configured (CLAMAV_SOCKET or CLAMAV_HOST): the files of tenants without a scanner plugin of their own stay PENDING, then ERROR, and are never served",
    );
  // Files stored under the other mode are queued, or released, in the background (src/attachments/scan-mode.ts).
  const scanModeApplied = database
    .background(() => applyScanMode(database, scanning))
    .then(
      (n) =>
        n &&
        log.info(
          { files: n, mode: scanning },
          scanning === "required" ? "queued unscanned attachments for scanning" : "attachments left unscanned: scanning is off",
        ),
    )
    .catch((err: unknown) =>
      log.error({ err }, "applying ATTACHMENT_SCANNING to stored attachments failed; it is tried again at the next start"),
    );
  const scans = scanning === "required" ? await new ScanWorker(services, operatorScanner).start() : undefined;
  const pluginWorkers = plugins.registry
    .list()
    .flatMap((def) => (def.start ? [def.start(services, plugins.registry.optionsOf(def.manifest.id))] : []));
  const { port } = http.address() as AddressInfo;
  publicBase ||= `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  notifications.start();
  // Files written before the blob store move into it in the background; until then they are served from their rows.
  const stopping = new AbortController();
  const moved = database
    .background(() => moveAttachmentsToStore(database, { signal: stopping.signal }))
    .then((n) => n && log.info({ files: n }, "moved attachment files from the database into the blob store"))
    .catch((err: unknown) => log.error({ err }, "moving attachment files into the blob store stopped; it continues at the next start"));
  // Files whose text is not known yet (written before extraction existed, attached by the
  // deprecated addAttachment, missed): extracted in the background once the files above are
  // moved, and after each sweep.
  let extracting: Promise<unknown> = moved;
  const extractTexts = () =>
    (extracting = extracting.then(() =>
      database
        .background(() => extractPendingTexts(text, { signal: stopping.signal }))
        .then((n) => n && log.info({ files: n }, "extracted the text of attachments"))
        .catch((err: unknown) => log.warn({ err }, "extracting attachment text stopped; it continues after the next retention sweep")),
    ));
  void extractTexts();
  const retention = scheduleRetentionSweeps(database, log, {
    intervalMs: config.retentionSweepMinutes * 60_000,
    afterSweep: async () => {
      await deleteDueTenants(services);
      const abandoned = await deleteAbandonedUploads(database, config.attachments.linkTtlMs);
      if (abandoned) log.info({ uploads: abandoned }, "deleted uploads that no message took");
      const quarantined = await deleteExpiredQuarantine(database, config.attachments.quarantineDays);
      if (quarantined) log.info({ files: quarantined }, "deleted infected attachments at the end of their quarantine");
      // Files of attachments deleted by the sweep (and by any other path) leave the store.
      await drainBlobDeletions(database);
      // Not awaited: a long backfill (after an upgrade) must not hold up the next sweep.
      void extractTexts();
    },
  });
  const statistics = keepStatisticsCurrent(database, log);
  const aiTraining = startLocalTraining(services);
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;

  return {
    url: `http://${host}:${port}/graphql`,
    database,
    log,
    sequenced: (tenantId) => (tenantId ? realtime.sequencer.kick(tenantId) : realtime.sequencer.sweep()),
    async consumed(tenantId) {
      await (tenantId ? realtime.sequencer.kick(tenantId) : realtime.sequencer.sweep());
      await realtime.consumers.kick();
    },
    scheduled: () => scheduler.kick(),
    metricsRefreshed: () => metricsRefresher.kick(),
    trainAi: (tenantId) => aiTraining.train(tenantId),
    scanned: async () => {
      await scanModeApplied;
      await scans?.drained();
    },
    deleteClosedTenants: (now) => deleteDueTenants(services, now),
    async close() {
      let listening: Promise<void> = Promise.resolve();
      await shutDownInOrder(log, [
        [
          "stop accepting connections",
          () => {
            draining = true;
            // Requests under way are answered, on connections that are not kept for another.
            for (const res of inFlight) if (!res.headersSent) res.setHeader("connection", "close");
            listening = new Promise<void>((resolve) => http.close(() => resolve()));
            http.closeIdleConnections();
          },
        ],
        ["retention sweeps", () => retention.stop()],
        [
          "moving attachment files, extracting their text",
          async () => {
            stopping.abort();
            // A file being read is left unread (it is read at the next start), not waited for.
            await text.extractor.close();
            await Promise.all([moved, extracting]);
          },
        ],
        ["planner statistics", () => statistics.stop()],
        ["AI model training", () => aiTraining.stop()],
        ["websockets (closed with 1001 going away)", () => ws.close()],
        // Subscriptions over server-sent events complete, and their responses end.
        ["subscription streams", () => realtime.feed.close()],
        [
          "requests under way",
          async () => {
            const cut = await drainRequests(http, inFlight, config.operations.shutdownGraceMs);
            if (cut)
              log.warn({ requests: cut, graceMs: config.operations.shutdownGraceMs }, "shutdown grace period over: requests cut off");
            await listening;
          },
        ],
        // Each ended subscription's last window of reads is written before the database closes.
        ["subscriptions' access records", () => subscriptionReadsRecorder.settle()],
        ["webhook worker", () => webhooks.stop()],
        ["scheduler", () => scheduler.stop()],
        ["metrics refresher", () => metricsRefresher.stop()],
        // Scans under way give their attempt back: the file is scanned again by whichever instance runs next.
        [
          "attachment scan worker",
          async () => {
            await scanModeApplied;
            await scans?.stop();
          },
        ],
        ["notification worker", () => notifications.stop()],
        ["plugin workers", () => Promise.all(pluginWorkers.map((w) => w.stop()))],
        ["event machinery and sequencer", () => realtime.close()],
        ["credential cache", () => credentials?.close()],
        ["rate limiter", () => apiRate.close()],
        ["sign-in limiter", () => signInLimiter.close()],
        ["database", () => !options.database && database.close()],
        // Last, so that the spans of everything above are sent too.
        ...(tracing ? [["traces (sent to the collector)", () => tracing.shutdown()] satisfies [string, () => Promise<void>]] : []),
      ]);
    },
  };
}
