#!/usr/bin/env node
// The `deskgraph` executable. In a checkout (tsx is installed) it runs the sources, so a
// command never runs code older than the tree; in a production install (npm ci
// --omit=dev, the Docker image: no tsx) it runs the compiled dist/src/main.js.
let tsx = null;
try {
  tsx = await import("tsx/esm/api");
} catch {
  // No tsx: a production install.
}
if (tsx) {
  tsx.register();
  await import("../src/cli/main.ts");
} else {
  await import("../dist/src/main.js");
}
