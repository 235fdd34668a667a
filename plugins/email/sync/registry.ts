import type { PluginHost } from "../../../src/plugin-host/host.js";
import type { SyncWorker } from "./worker.js";

/**
 * The sync worker each server started, by its plugin host (one per server:
 * tests run several in one process), so that connecting a mailbox can start
 * its sync at once and disconnecting one can end it at once on this instance.
 */
const workers = new WeakMap<PluginHost, SyncWorker>();

export const registerSyncWorker = (host: PluginHost, worker: SyncWorker) => workers.set(host, worker);

export const syncWorkerOf = (host: PluginHost): SyncWorker | undefined => workers.get(host);
