/** The URL of a link in a notification, served under /links/ (routes.ts), on the server's public base. */
export const linkUrl = (base: string, kind: "satisfaction", token: string) =>
  `${base.replace(/\/$/, "")}/links/${kind}/${encodeURIComponent(token)}`;
