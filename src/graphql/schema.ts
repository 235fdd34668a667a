import { lexicographicSortSchema, specifiedDirectives } from "graphql";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import { builder } from "./builder.js";
import { consentDirective, personalDataDirective } from "../privacy/labels.js";
// Each domain registers its types, queries and mutations on import.
import "../tenants/schema.js";
import "../tenants/operator-schema.js";
import "../agents/schema.js";
import "../api-keys/schema.js";
import "../contacts/schema.js";
import "../tickets/schema.js";
import "../viewer/schema.js";
import "../privacy/schema.js";
import "../privacy/requests/schema.js";
import "../portal/schema.js";
import "../attachments/schema.js";
import "../attachments/extract/schema.js";
import "../plugin-host/schema.js";
import "../tickets/events-schema.js";
import "../webhooks/schema.js";
import "../retention/schema.js";
import "../policies/schema.js";
import "../audit/schema.js";
import "../billing/schema.js";
import "../search/schema.js";
import "../ai/schema.js";
import "../custom-fields/schema.js";
import "../custom-fields/record-fields.js";
import "../merge/schema.js";
import "../csat/schema.js";
import "../views/schema.js";
import "../calendars/schema.js";
import "../sla/schema.js";
import "../teams/schema.js";
import "../metrics/schema.js";
import "../automations/schema.js";
import "../macros/schema.js";
import "../notifications/schema.js";
// Plugins' own types and fields (the email channel's mailboxes), through the one file that names them.
import "../plugin-host/shipped.js";

// Naming directives replaces graphql-js's default list: @include, @skip, @deprecated,
// @specifiedBy and @oneOf must be named too, or documents using them fail validation.
export const schema = builder.toSchema({ directives: [...specifiedDirectives, personalDataDirective, consentDirective] });

/** The SDL as published in schema/schema.graphql: sorted, so diffs stay readable. */
export const printedSchema = () => printSchemaWithDirectives(lexicographicSortSchema(schema));
