import pino, { type Logger } from "pino";
import { REDACTED } from "./constants.js";

export function createLogger(level: string): Logger {
  return pino({
    level,
    // Credentials must never reach the logs.
    redact: { paths: ["req.headers.authorization", "*.password", "*.token", "*.secret"], censor: REDACTED },
  });
}
