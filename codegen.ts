import type { CodegenConfig } from "@graphql-codegen/cli";

/**
 * Typed documents from schema/schema.graphql. The tests use them (test/gql);
 * a frontend project copies this file, points `documents` at its own sources
 * and `schema` at this repository's schema file or a running server's URL.
 */
const config: CodegenConfig = {
  schema: "schema/schema.graphql",
  documents: ["test/**/*.ts", "!test/gql/**"],
  ignoreNoDocuments: true,
  // ESM imports with .js extensions, as NodeNext resolution requires.
  emitLegacyCommonJSImports: false,
  generates: {
    "test/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: { scalars: { DateTime: "string" }, enumsAsTypes: true, useTypeImports: true },
    },
  },
};

export default config;
