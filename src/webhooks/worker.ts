import type { SealedEvent } from "../events/outbox.js";
import { execute, type DocumentNode, type GraphQLSchema } from "graphql";
import type { Logger } from "pino";
import type { SignInLimiter } from "../agents/sign-in-limiter.js";
import { recordAudit } from "../audit/service.js";
import type { Permission } from "../auth/permissions.js";
import type { Viewer } from "../auth/viewer.js";
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import type { Realtime } from "../events/realtime.js";
import { visible } from "../tickets/events-schema.js";
import type { Event, WebhookEndpoint } from "../generated/prisma/client.js";
import { createContext, type Context } from "../context.js";
import { presentError } from "../graphql/errors-envelop.js";
import type { PluginHost } from "../plugin-host/host.js";
import { parseSelection } from "./selection.js";
import { WebhookSender, type SendResult } from "./send.js";
import { liveSecrets, signatureHeader, storedSecrets, webhookIdOf } from "./signature.js";
import { retryDelay } from "../retry.js";
import { BackgroundLoop } from "../background/loop.js";
import { describeOutage } from "../db/unavailable.js";
import { outboundGuard } from "../outbound/guard.js";
import { traced, type Tracing } from "../observability/tracing.js";

export interface WebhookWorkerDeps {
  config: Config;
  database: Database;
  log: Logger;
  signInLimiter: SignInLimiter;
  plugins: PluginHost;
  realtime: Realtime;
  schema: GraphQLSchema;
  tracing?: Tracing;
}

/** How many deliveries an instance sends at once. */
const MAX_IN_FLIGHT = 16;
/**
 * How often to look when nothing says to sooner. The fan-out consumer wakes
 * the worker of its instance once it has queued deliveries, re-sends send a
 * bus notice, and the worker times itself to the next retry due; this is only
 * the safety net.
 */
const IDLE_POLL_MS = 5000;
/** A lease outlives the HTTP timeout by this much; then another instance may try. */
const LEASE_MARGIN_MS = 30_000;

interface Leased {
  id: string;
  tenantId: string;
  endpointId: string;
  eventSeq: number;
  /** Attempts including the one leased now. */
  attempts: number;
}

/**
 * Sends queued webhook deliveries (queued by the consumer in fanout.ts).
 * A delivery is leased before it is sent: one statement, FOR UPDATE SKIP
 * LOCKED, moves its next attempt past the HTTP timeout, so no two workers
 * (instances) send it at once, and one that dies mid-send leaves it to be
 * tried again when the lease ends. Payloads are built at each attempt with
 * the endpoint's API key, so a partner receives what that key may read now:
 * never an erased person's data, never a note without notes:read.
 */
export class WebhookWorker {
  private readonly loop: BackgroundLoop;
  private stopped = false;
  private readonly shutdown = new AbortController();
  private readonly sender: WebhookSender;
  private readonly documents = new Map<string, DocumentNode>();
  private readonly inFlight = new Set<Promise<void>>();
  /** The last lease was full: more may be due as soon as a slot frees. */
  private backlog = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: WebhookWorkerDeps) {
    this.sender = new WebhookSender(outboundGuard(deps.config), { timeoutMs: deps.config.webhooks.timeoutMs });
    // While the database is away the loop waits for it; leases taken before the outage run out and are taken again.
    this.loop = new BackgroundLoop({
      name: "webhook worker",
      log: deps.log,
      health: deps.database.health,
      idleMs: IDLE_POLL_MS,
      // Deliveries started in a pass inherit the background mark: their statements are not a request's.
      run: () => deps.database.background(() => this.pass()),
    });
    // A re-send on any instance publishes a notice of seq 0: the moment to look. (New events'
    // deliveries are made by the webhook fan-out consumer, which kicks the worker of its instance.)
    this.unsubscribe = deps.realtime.bus.subscribe((notice) => notice.seq === 0 && void this.kick());
  }

  start(): void {
    this.loop.start(0);
  }

  /** Runs a pass soon; calls during a pass fold into one more pass. */
  kick(): Promise<void> {
    return this.loop.kick();
  }

  /** Wakes the worker in `ms`, unless it is already due to wake sooner. */
  private schedule(ms: number): void {
    this.loop.wakeIn(ms);
  }

  /**
   * Starts sending due deliveries, up to MAX_IN_FLIGHT at once (a slow
   * endpoint does not hold up the others' batch); returns how long to wait
   * before the next one is due.
   */
  private async pass(): Promise<number> {
    for (;;) {
      if (this.stopped) return IDLE_POLL_MS;
      const room = MAX_IN_FLIGHT - this.inFlight.size;
      if (room <= 0) return IDLE_POLL_MS; // a delivery that finishes kicks again
      const leased = await this.lease(room);
      this.backlog = leased.length === room;
      for (const d of leased) {
        const sending: Promise<void> = this.deliver(d)
          .catch((err) => this.crashed(d, err))
          .finally(() => {
            this.inFlight.delete(sending);
            if (this.backlog) void this.kick();
          });
        this.inFlight.add(sending);
      }
      if (!this.backlog) break;
    }
    const next = await this.deps.database.prisma.webhookDelivery.findFirst({
      where: { status: "PENDING" },
      orderBy: { nextAttemptAt: "asc" },
      select: { nextAttemptAt: true },
    });
    if (!next) return IDLE_POLL_MS;
    return Math.min(IDLE_POLL_MS, Math.max(5, next.nextAttemptAt.getTime() - Date.now()));
  }

  private async lease(limit: number): Promise<Leased[]> {
    const now = new Date();
    const until = new Date(now.getTime() + this.deps.config.webhooks.timeoutMs + LEASE_MARGIN_MS);
    const rows = await this.deps.database.prisma.$queryRaw<Leased[]>`
      UPDATE "WebhookDelivery" AS d
      SET "attempts" = d."attempts" + 1, "lastAttemptAt" = ${now.toISOString()}::timestamp, "nextAttemptAt" = ${until.toISOString()}::timestamp
      FROM (
        SELECT "id" FROM "WebhookDelivery"
        WHERE "status" = 'PENDING' AND "nextAttemptAt" <= ${now.toISOString()}::timestamp
        ORDER BY "nextAttemptAt"
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      ) AS due
      WHERE d."id" = due."id"
      RETURNING d."id", d."tenantId", d."endpointId", d."eventSeq", d."attempts"`;
    return rows.map((r) => ({ ...r, eventSeq: Number(r.eventSeq), attempts: Number(r.attempts) }));
  }

  /** Records the outcome of the attempt leased, unless the delivery changed meanwhile (re-sent, stopped). */
  private finish(
    d: Leased,
    data: {
      status: "PENDING" | "SUCCEEDED" | "FAILED";
      lastStatusCode?: number | null;
      lastError: string | null;
      nextAttemptAt?: Date;
      attempts?: number;
    },
  ) {
    return this.deps.database.prisma.webhookDelivery.updateMany({
      where: { id: d.id, attempts: d.attempts, status: "PENDING" },
      data: { nextAttemptAt: new Date(), ...data },
    });
  }

  /**
   * One attempt, in a trace of its own (even when a request's commit woke the
   * worker): its statements and its POST are the span's children.
   */
  private deliver(d: Leased): Promise<void> {
    const attributes = {
      "deskgraph.tenant.id": d.tenantId,
      "deskgraph.webhook.endpoint_id": d.endpointId,
      "deskgraph.webhook.delivery_id": d.id,
      "deskgraph.webhook.attempt": d.attempts,
    };
    return traced(this.deps.tracing, "webhook delivery", { kind: "internal", root: true, attributes }, () => this.attempt(d));
  }

  private async attempt(d: Leased): Promise<void> {
    const { prisma } = this.deps.database;
    const endpoint = await prisma.webhookEndpoint.findUnique({ where: { id: d.endpointId } });
    if (!endpoint) return; // deleted meanwhile, and its deliveries with it
    if (!endpoint.enabled) {
      await this.finish(d, { status: "FAILED", lastError: "The endpoint is disabled" });
      return;
    }
    const key = await prisma.apiKey.findUnique({ where: { id: endpoint.apiKeyId } });
    if (!key || key.revokedAt || key.tenantId !== endpoint.tenantId) {
      await this.stopEndpoint(endpoint, "The endpoint's API key was revoked: deliveries stopped and the endpoint was disabled");
      return;
    }
    const event = (await prisma.event.findUnique({
      where: { tenantId_seq: { tenantId: d.tenantId, seq: d.eventSeq } },
    })) as SealedEvent | null;
    if (!event) {
      await this.finish(d, { status: "FAILED", lastError: "The event is no longer kept" });
      return;
    }
    const viewer: Viewer = { kind: "apiKey", tenantId: key.tenantId, apiKeyId: key.id, permissions: new Set(key.scopes as Permission[]) };
    const ctx = this.context(viewer, d);
    if (!ctx.can("tickets:read") || !(await visible(ctx, event, null))) {
      await this.finish(d, { status: "FAILED", lastError: "The endpoint's API key may not read this event" });
      return;
    }

    let body: string;
    try {
      body = await this.payload(ctx, event, endpoint.selection);
    } catch (err) {
      await this.retryOrGiveUp(d, { error: `Could not build the payload: ${(err as Error).message}`, sent: false });
      return;
    }
    const webhookId = webhookIdOf(d.id);
    const timestamp = Math.floor(Date.now() / 1000);
    const secrets = liveSecrets(storedSecrets(endpoint.secrets)).map((s) => this.deps.plugins.secrets.open(s.sealed));
    const headers = {
      "webhook-id": webhookId,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signatureHeader(secrets, webhookId, timestamp, body),
    };
    const result = await this.post(endpoint.url, headers, body);
    if (result.sent) await this.auditReads(ctx, endpoint, d);
    if (!result.error) {
      await this.finish(d, { status: "SUCCEEDED", lastStatusCode: result.status ?? null, lastError: null });
    } else if (this.shutdown.signal.aborted) {
      // Not the receiver's fault: give the attempt back for whichever instance runs next.
      await this.finish(d, {
        status: "PENDING",
        attempts: d.attempts - 1,
        lastError: "Interrupted by a server shutdown; will be sent again",
      });
    } else {
      await this.retryOrGiveUp(d, result);
    }
  }

  /**
   * Sends in a CLIENT span naming the receiver's host, not its whole URL (a
   * query string can hold a partner's token). The span's traceparent goes
   * along only with WEBHOOK_TRACE_CONTEXT: by default a partner learns
   * nothing of this server's traces.
   */
  private post(endpoint: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const url = new URL(endpoint);
    const attributes = {
      "http.request.method": "POST",
      "server.address": url.hostname,
      "server.port": Number(url.port) || (url.protocol === "https:" ? 443 : 80),
    };
    return traced(this.deps.tracing, "POST", { kind: "client", attributes }, async (span) => {
      const traceContext = this.deps.config.webhooks.traceContext ? span.traceHeaders() : {};
      const result = await this.sender.send(endpoint, { ...headers, ...traceContext }, body, this.shutdown.signal);
      span.set({ "http.response.status_code": result.status });
      if (result.error) span.fail(result.status ? String(result.status) : "no_response");
      return result;
    });
  }

  /** A bug or an outage, not the receiver's doing: logged, and the attempt still counts towards the bound. */
  private async crashed(d: Leased, err: unknown): Promise<void> {
    const reference = `webhook-${d.id}-${d.attempts}`;
    if (this.deps.database.health.isOutage(err)) {
      // Not the delivery's fault either: once the database answers again the attempt is given back and
      // the delivery is due at once, rather than held by its lease for up to a minute. (If the partner
      // already had it, it gets it again under the same webhook-id.)
      const { health } = this.deps.database;
      this.deps.log.warn(
        { deliveryId: d.id, reason: describeOutage(err) },
        "webhook delivery interrupted: the database is unavailable; it is sent again when the database is back",
      );
      await health.whenAnswering(this.shutdown.signal);
      if (this.shutdown.signal.aborted) return;
      await this.finish(d, {
        status: "PENDING",
        attempts: d.attempts - 1,
        lastError: "Interrupted: the database was unavailable; will be sent again",
      }).catch(() => {});
      void this.kick();
      return;
    }
    this.deps.log.error({ err, deliveryId: d.id, reference }, "webhook delivery failed unexpectedly");
    await this.retryOrGiveUp(d, { error: `Internal error (reference ${reference})`, sent: false }).catch(() => {});
  }

  private async retryOrGiveUp(d: Leased, result: SendResult): Promise<void> {
    const { maxAttempts, retryBaseMs, retryCapMs } = this.deps.config.webhooks;
    if (d.attempts >= maxAttempts) {
      await this.finish(d, {
        status: "FAILED",
        lastStatusCode: result.status ?? null,
        lastError: `${result.error} (gave up after ${d.attempts} attempt${d.attempts === 1 ? "" : "s"})`,
      });
      return;
    }
    const delay = retryDelay(d.attempts, retryBaseMs, retryCapMs);
    await this.finish(d, {
      status: "PENDING",
      lastStatusCode: result.status ?? null,
      lastError: result.error ?? null,
      nextAttemptAt: new Date(Date.now() + delay),
    });
    this.schedule(delay);
  }

  /** The key was revoked: nothing more goes out to this endpoint until an admin gives it a valid key. */
  private async stopEndpoint(endpoint: WebhookEndpoint, reason: string): Promise<void> {
    const { prisma } = this.deps.database;
    await prisma.$transaction([
      prisma.webhookEndpoint.update({ where: { id: endpoint.id }, data: { enabled: false } }),
      prisma.webhookDelivery.updateMany({
        where: { endpointId: endpoint.id, status: "PENDING" },
        data: { status: "FAILED", lastError: reason, nextAttemptAt: new Date() },
      }),
    ]);
    this.deps.log.info({ endpointId: endpoint.id, tenantId: endpoint.tenantId }, "webhook endpoint stopped: its API key was revoked");
  }

  private context(viewer: Viewer, d: Leased): Context {
    const { config, database, log, signInLimiter, plugins, realtime, tracing } = this.deps;
    const requestId = `webhook-${d.id}-${d.attempts}`;
    return createContext({
      requestId,
      config,
      database,
      log: log.child({ requestId }),
      clientIp: "webhook",
      viewer,
      signInLimiter,
      plugins,
      realtime,
      tracing,
    });
  }

  /**
   * `{ type, timestamp, data }`: data is what `ticketEvents { <selection> }`
   * gives the endpoint's key for this event. Executing the subscription's
   * selection with the event as root value is how GraphQL itself maps a
   * subscription event to its response (ExecuteSubscriptionEvent).
   */
  private async payload(ctx: Context, event: Event, selection: string): Promise<string> {
    const { schema } = this.deps;
    const result = await execute({ schema, document: this.document(schema, selection), rootValue: event, contextValue: ctx });
    // As for any response: expected errors keep their code, unexpected ones are masked (and logged).
    const errors = result.errors
      ?.map((e) => presentError(e, ctx.requestId, ctx.log, this.deps.database.health))
      .map((e) => ({ message: e.message, path: e.path, code: e.extensions?.code }));
    const data = (result.data as { ticketEvents?: unknown } | null | undefined)?.ticketEvents;
    if (data == null) throw new Error((errors ?? []).map((e) => `${e.code}: ${e.message}`).join("; ") || "no data");
    return JSON.stringify({ type: event.type, timestamp: event.createdAt.toISOString(), data, ...(errors?.length ? { errors } : {}) });
  }

  /** Personal data sent to a partner is a read by the endpoint's key, in the audit log like any other. */
  private async auditReads(ctx: Context, endpoint: WebhookEndpoint, d: Leased): Promise<void> {
    const reads = [...ctx.privacy.bySubject.values()];
    if (!reads.length) return;
    try {
      await recordAudit(
        ctx,
        ...reads.map(({ subject, categories }) => ({
          action: "personalData.read",
          subjectType: subject.type,
          subjectId: subject.id,
          categories: [...categories].sort(),
          details: { rootFields: ["ticketEvents"], webhookEndpointId: endpoint.id, webhookDeliveryId: d.id },
        })),
      );
    } catch (err) {
      this.deps.log.error({ err, deliveryId: d.id }, "could not write the audit log for a webhook delivery");
    }
  }

  private document(schema: GraphQLSchema, selection: string): DocumentNode {
    let document = this.documents.get(selection);
    if (!document) {
      document = parseSelection(schema, selection);
      if (this.documents.size > 500) this.documents.clear();
      this.documents.set(selection, document);
    }
    return document;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    this.shutdown.abort();
    await this.loop.stop();
    await Promise.all(this.inFlight);
    this.sender.close();
  }
}

export function startWebhookWorker(deps: WebhookWorkerDeps): WebhookWorker {
  const worker = new WebhookWorker(deps);
  worker.start();
  return worker;
}
