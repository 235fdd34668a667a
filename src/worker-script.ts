/**
 * A worker thread's script: the compiled JavaScript next to the calling module
 * in a build; in development and tests, the TypeScript source loaded through
 * tsx (a dependency of the server anyway). `moduleUrl` is the caller's
 * `import.meta.url` (tsx's API may add a query to it), `name` the script's
 * name without extension.
 */
export function workerScript(moduleUrl: string, name: string): { script: string | URL; evaluated: boolean } {
  if (new URL(moduleUrl).pathname.endsWith(".js")) return { script: new URL(`./${name}.js`, moduleUrl), evaluated: false };
  const source = JSON.stringify(new URL(`./${name}.ts`, moduleUrl).href);
  return {
    script: `import("tsx/esm/api").then(({ tsImport }) => tsImport(${source}, ${JSON.stringify(moduleUrl)}))`,
    evaluated: true,
  };
}
