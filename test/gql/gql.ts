/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation SignIn($tenant: String!, $email: String!, $password: String!) {\n    signIn(tenant: $tenant, email: $email, password: $password) { token expiresAt agent { id role } }\n  }\n": typeof types.SignInDocument,
    "\n  mutation InviteAgent($input: InviteAgentInput!) { inviteAgent(input: $input) { invitationToken agent { id } } }\n": typeof types.InviteAgentDocument,
    "\n  mutation AcceptInvitation($token: String!, $password: String!) { acceptInvitation(token: $token, password: $password) { token } }\n": typeof types.AcceptInvitationDocument,
    "\n  mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id prefix } } }\n": typeof types.CreateApiKeyDocument,
};
const documents: Documents = {
    "\n  mutation SignIn($tenant: String!, $email: String!, $password: String!) {\n    signIn(tenant: $tenant, email: $email, password: $password) { token expiresAt agent { id role } }\n  }\n": types.SignInDocument,
    "\n  mutation InviteAgent($input: InviteAgentInput!) { inviteAgent(input: $input) { invitationToken agent { id } } }\n": types.InviteAgentDocument,
    "\n  mutation AcceptInvitation($token: String!, $password: String!) { acceptInvitation(token: $token, password: $password) { token } }\n": types.AcceptInvitationDocument,
    "\n  mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id prefix } } }\n": types.CreateApiKeyDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignIn($tenant: String!, $email: String!, $password: String!) {\n    signIn(tenant: $tenant, email: $email, password: $password) { token expiresAt agent { id role } }\n  }\n"): (typeof documents)["\n  mutation SignIn($tenant: String!, $email: String!, $password: String!) {\n    signIn(tenant: $tenant, email: $email, password: $password) { token expiresAt agent { id role } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation InviteAgent($input: InviteAgentInput!) { inviteAgent(input: $input) { invitationToken agent { id } } }\n"): (typeof documents)["\n  mutation InviteAgent($input: InviteAgentInput!) { inviteAgent(input: $input) { invitationToken agent { id } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AcceptInvitation($token: String!, $password: String!) { acceptInvitation(token: $token, password: $password) { token } }\n"): (typeof documents)["\n  mutation AcceptInvitation($token: String!, $password: String!) { acceptInvitation(token: $token, password: $password) { token } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id prefix } } }\n"): (typeof documents)["\n  mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id prefix } } }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;