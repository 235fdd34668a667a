/**
 * The opt-out and opt-in keywords Twilio itself honours on long codes and
 * toll-free numbers ("Twilio support for opt-out keywords"). Like Twilio, only
 * a message that is exactly the keyword counts ("stop" does, "stop please"
 * does not), in any case, surrounding spaces ignored.
 */
const OPT_OUT = new Set(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]);
const OPT_IN = new Set(["START", "YES", "UNSTOP"]);

export type Keyword = "OPT_OUT" | "OPT_IN";

/**
 * What an inbound message asks for. With Advanced Opt-Out on a Messaging
 * Service, Twilio already classified it and sends OptOutType (STOP, START or
 * HELP), which also covers the tenant's custom keywords: that wins.
 */
export function keywordOf(body: string, optOutType?: string): Keyword | null {
  const type = optOutType?.trim().toUpperCase();
  if (type === "STOP") return "OPT_OUT";
  if (type === "START") return "OPT_IN";
  const word = body.trim().toUpperCase();
  if (OPT_OUT.has(word)) return "OPT_OUT";
  if (OPT_IN.has(word)) return "OPT_IN";
  return null;
}
