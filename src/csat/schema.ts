import { z } from "zod";
import { builder } from "../graphql/builder.js";
import { personal } from "../privacy/labels.js";
import { satisfactionRequest, submitSatisfaction } from "./service.js";

const Verdict = builder.enumType("SatisfactionVerdict", { values: ["GOOD", "BAD"] as const });

const Satisfaction = builder.prismaObject("SatisfactionResponse", {
  name: "Satisfaction",
  description: "The requester's rating of a solved ticket.",
  fields: (t) => ({
    rating: t.exposeInt("rating", { description: "1 to 5; a GOOD verdict is 5, a BAD one 1" }),
    verdict: t.field({
      type: Verdict,
      nullable: true,
      description: "Set when the requester answered GOOD or BAD rather than on the five-point scale",
      resolve: (s) => (s.scale === "GOOD_BAD" ? (s.rating >= 3 ? "GOOD" : "BAD") : null),
    }),
    comment: t.exposeString("comment", { nullable: true, ...personal("user.content.message") }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "Later than createdAt when the requester changed their rating" }),
  }),
});

const SatisfactionRequest = builder.objectRef<{ token: string; expiresAt: Date }>("SatisfactionRequest").implement({
  description:
    "The link credential to rate a solved ticket: show it on the portal, or put it in the link the requester gets, for submitSatisfaction.",
  fields: (t) => ({
    token: t.exposeString("token"),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
  }),
});

builder.prismaObjectFields("Ticket", (t) => ({
  satisfaction: t.relation("satisfaction", {
    nullable: true,
    description: "The requester's rating, once given",
    authScopes: { anyPermission: ["tickets:read", "portal:self"] },
  }),
  satisfactionRequest: t.field({
    type: SatisfactionRequest,
    nullable: true,
    description:
      "While the ticket is solved (or closed after solving) and for 14 days after solving: the token to rate it. For the requester on the portal, and for the integration (tickets:write) that sends the request by email or SMS.",
    authScopes: { anyPermission: ["tickets:write", "portal:self"] },
    select: { id: true, tenantId: true, solvedAt: true, mergedIntoId: true, status: true },
    resolve: (ticket, _a, ctx) => satisfactionRequest(ctx, ticket),
  }),
}));

builder.mutationField("submitSatisfaction", (t) =>
  t.field({
    type: Satisfaction,
    description:
      "The requester rates a solved ticket with the token of its satisfaction request; no sign-in needed. One rating per ticket: submitting again while the link is valid replaces it. Invalid or forged token: VALIDATION; expired: EXPIRED; restricted requester: PROCESSING_RESTRICTED.",
    args: {
      token: t.arg.string({ required: true, validate: z.string().max(300) }),
      rating: t.arg.int({ validate: z.number().int().min(1).max(5) }),
      verdict: t.arg({ type: Verdict }),
      comment: t.arg.string({ validate: z.string().trim().max(2000) }),
    },
    resolve: (_r, args, ctx) => submitSatisfaction(ctx, args),
  }),
);
