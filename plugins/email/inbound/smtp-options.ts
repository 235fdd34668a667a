import { ConfigError } from "../../../src/config.js";

/** The inbound SMTP endpoint as the operator set it up; null when it is off (the default). */
export interface InboundSmtpOptions {
  host: string;
  port: number;
  /** Lower case; the first is the one forwarding addresses are shown at. */
  domains: string[];
}

export function inboundOptions(port: number | undefined, host: string, domains: string[] | undefined): InboundSmtpOptions | null {
  if (port === undefined) {
    if (domains) throw new ConfigError(["EMAIL_INBOUND_DOMAIN: set EMAIL_INBOUND_SMTP_PORT too, or the endpoint stays off"]);
    return null;
  }
  if (!domains)
    throw new ConfigError(["EMAIL_INBOUND_DOMAIN: required with EMAIL_INBOUND_SMTP_PORT (the domain forwarding addresses are at)"]);
  return { host, port, domains };
}
