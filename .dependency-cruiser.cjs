/**
 * Import rules for src/ and plugins/, checked by test/dependencies.test.ts
 * (part of `npm test`); `npx depcruise src plugins` prints the same report.
 * Imports of types only vanish when compiled, so they may go both ways; what
 * runs may not.
 */
const runtime = { dependencyTypesNot: ["type-only"] };

module.exports = {
  forbidden: [
    {
      name: "no-runtime-cycle",
      comment: "A module must not end up importing itself at run time: such cycles make load order decide what is undefined.",
      severity: "error",
      from: {},
      to: { circular: true, ...runtime, viaOnly: runtime },
    },
    {
      name: "core-imports-no-plugin",
      comment: "The core reaches plugins through the plugin interface; only src/plugin-host/shipped.ts names the shipped ones.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/plugin-host/shipped\\.ts$" },
      to: { path: "^plugins/" },
    },
    {
      name: "shipped-list-only",
      comment: "src/plugin-host/shipped.ts imports the list of plugins, nothing inside a plugin.",
      severity: "error",
      from: { path: "^src/plugin-host/shipped\\.ts$" },
      to: { path: "^plugins/", pathNot: "^plugins/index\\.ts$" },
    },
    {
      name: "audit-below-privacy",
      comment:
        "Privacy (requests, consent) writes to the audit log; the log knows nothing of privacy but its vocabulary of data categories.",
      severity: "error",
      from: { path: "^src/audit/" },
      to: { path: "^src/privacy/", pathNot: "^src/privacy/taxonomy\\.ts$", ...runtime },
    },
    {
      name: "events-below-domains",
      comment:
        "Domains record events and consume them (src/events/consumers/); the event machinery knows none of them. Consumers are registered where the server is put together.",
      severity: "error",
      from: { path: "^src/(events|sequencer)/" },
      to: { path: "^src/(tickets|webhooks|plugin-host|billing|privacy|contacts)/" },
    },
    {
      name: "billing-below-plugin-host",
      comment:
        "The plugin host checks plans (billing); billing defines what a billing plugin provides and imports nothing of the plugin host.",
      severity: "error",
      from: { path: "^src/billing/" },
      to: { path: "^src/plugin-host/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Generated code and tests are not part of the layering.
    exclude: { path: "^src/generated/|\\.test\\.ts$" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
