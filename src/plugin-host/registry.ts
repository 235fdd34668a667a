import { ManifestError, validateManifest, type PluginManifest } from "./manifest.js";
import type { Environment } from "./options.js";
import type { AnyPlugin } from "./plugin.js";

/** A loaded plugin: its manifest resolved from its options, and checked. */
export type LoadedPlugin = AnyPlugin & { manifest: PluginManifest };

/**
 * The plugins this server knows, loaded once at start: each parses its
 * operator options from the environment (a bad one stops the server with a
 * ConfigError naming the variable), then its manifest is checked.
 */
export class PluginRegistry {
  private readonly byId = new Map<string, LoadedPlugin>();
  private readonly options = new Map<string, unknown>();

  constructor(definitions: AnyPlugin[], environment: Environment = {}) {
    for (const def of definitions) {
      const options = def.options?.parse(environment);
      const raw = typeof def.manifest === "function" ? def.manifest(options) : def.manifest;
      const source = (raw as { id?: unknown })?.id ? `"${String(raw.id)}"` : "(without id)";
      const manifest = validateManifest(raw, source);
      if (this.byId.has(manifest.id)) throw new ManifestError(`Two plugins use the id "${manifest.id}"`);
      if (manifest.storesData && !def.erase) {
        throw new ManifestError(`Plugin "${manifest.id}" declares storesData but has no erase hook`);
      }
      this.byId.set(manifest.id, { ...def, manifest });
      this.options.set(manifest.id, options);
    }
  }

  get(id: string): LoadedPlugin | undefined {
    return this.byId.get(id);
  }

  list(): LoadedPlugin[] {
    return [...this.byId.values()].sort((a, b) => a.manifest.id.localeCompare(b.manifest.id));
  }

  /** What the plugin's options.ts parsed at start; undefined for a plugin without options. */
  optionsOf(id: string): unknown {
    return this.options.get(id);
  }
}
