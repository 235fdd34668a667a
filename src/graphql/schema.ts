import { lexicographicSortSchema, specifiedDirectives } from "graphql";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import { builder } from "./builder.js";
import { consentDirective, personalDataDirective } from "../privacy/labels.js";
// Each domain registers its types, queries and mutations on import.
import "../tenants/types.js";
import "../tenants/operator-types.js";
import "../agents/types.js";
import "../api-keys/types.js";
import "../contacts/types.js";
import "../tickets/types.js";
import "../viewer/types.js";
import "../privacy/types.js";
import "../privacy/requests/types.js";
import "../portal/types.js";
import "../attachments/types.js";
import "../plugin-host/types.js";
import "../events/types.js";
import "../webhooks/types.js";
import "../retention/types.js";
import "../policies/types.js";
import "../audit/types.js";
import "../billing/types.js";
import "../search/types.js";

// Naming directives replaces graphql-js's default list: @include, @skip, @deprecated,
// @specifiedBy and @oneOf must be named too, or documents using them fail validation.
export const schema = builder.toSchema({ directives: [...specifiedDirectives, personalDataDirective, consentDirective] });

/** The SDL as published in schema/schema.graphql: sorted, so diffs stay readable. */
export const printedSchema = () => printSchemaWithDirectives(lexicographicSortSchema(schema));
