import pino, { type Logger } from "pino";

export function createLogger(level: string): Logger {
  return pino({
    level,
    // Credentials must never reach the logs.
    redact: { paths: ["req.headers.authorization", "*.password", "*.token", "*.secret"], censor: "[redacted]" },
  });
}
