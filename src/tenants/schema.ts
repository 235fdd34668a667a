import { builder } from "../graphql/builder.js";

export const DataResidency = builder.enumType("DataResidency", {
  description: "Where the tenant requires its data to be processed.",
  values: {
    EU: { description: "Only in the EU/EEA, or under an accepted transfer safeguard" },
    ANY: { description: "No residency requirement" },
  },
});

builder.prismaObject("Tenant", {
  description: "The organisation that runs this helpdesk: the data controller.",
  authScopes: { authenticated: true },
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    slug: t.exposeString("slug", { description: "Used to sign in" }),
    dataResidency: t.expose("dataResidency", { type: DataResidency }),
    defaultLocale: t.exposeString("defaultLocale"),
  }),
});
