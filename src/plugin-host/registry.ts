import { ManifestError, validateManifest } from "./manifest.js";
import type { PluginDefinition } from "./plugin.js";

/** The plugins this server knows, with manifests checked once at start. */
export class PluginRegistry {
  private readonly byId = new Map<string, PluginDefinition>();

  constructor(definitions: PluginDefinition[]) {
    for (const def of definitions) {
      const source = (def.manifest as { id?: unknown })?.id ? `"${String(def.manifest.id)}"` : "(without id)";
      const manifest = validateManifest(def.manifest, source);
      if (this.byId.has(manifest.id)) throw new ManifestError(`Two plugins use the id "${manifest.id}"`);
      if (manifest.storesData && !def.erase) {
        throw new ManifestError(`Plugin "${manifest.id}" declares storesData but has no erase hook`);
      }
      this.byId.set(manifest.id, { ...def, manifest });
    }
  }

  get(id: string): PluginDefinition | undefined {
    return this.byId.get(id);
  }

  list(): PluginDefinition[] {
    return [...this.byId.values()].sort((a, b) => a.manifest.id.localeCompare(b.manifest.id));
  }
}
