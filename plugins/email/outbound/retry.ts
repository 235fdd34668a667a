import { BackgroundLoop } from "../../../src/background/loop.js";
import type { PluginServices, PluginWorker } from "../../../src/plugin-host/plugin.js";
import type { LoadedPlugin } from "../../../src/plugin-host/registry.js";
import { runtimeFor } from "../../../src/plugin-host/runtime.js";
import type { EmailOptions, EmailRuntime } from "../options.js";
import { deliverReply } from "./deliver.js";
import { claimDueSends } from "./lease.js";

/** Replies one pass claims at most; each is sent before the next, within its own lease. */
const BATCH = 20;

/**
 * Sends the replies that are QUEUED and due, in every tenant: those whose
 * previous attempt failed in a way that may pass, and those whose instance
 * died between committing QUEUED and finishing the send (their lease lapsed).
 * Claiming takes the lease (claimDueSends), so two instances never send the
 * same reply. It looks every EMAIL_SEND_RETRY_SECONDS, and at least twice a
 * lease period.
 */
export class SendRetryWorker implements PluginWorker {
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly services: PluginServices,
    private readonly plugin: LoadedPlugin,
    private readonly options: EmailOptions,
  ) {
    this.loop = new BackgroundLoop({
      name: "email send retry",
      log: services.log.child({ pluginId: plugin.manifest.id }),
      health: services.database.health,
      idleMs: Math.min(options.sendRetryMs, Math.floor(options.leaseMs / 2)),
      run: () => services.database.background(() => this.pass()),
    });
  }

  start(): this {
    this.loop.start(0);
    return this;
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async pass(): Promise<void> {
    const claims = await claimDueSends(this.services.database.prisma, BATCH, this.options.leaseMs);
    for (const claim of claims) {
      // A disabled plugin's replies are tried too: the gateway refuses them (PLUGIN_DISABLED) and they end FAILED.
      const runtime = await runtimeFor(this.services, claim.tenantId, this.plugin, undefined, { evenIfDisabled: true });
      if (runtime) await deliverReply(runtime as EmailRuntime, claim);
      else await this.services.database.forTenant(claim.tenantId).emailOutbound.deleteMany({ where: { messageId: claim.messageId } });
    }
  }
}
