import type { Command } from "./command.js";
import { withDatabase } from "./database.js";

export const secretsRotate: Command = {
  name: "secrets:rotate",
  summary: "re-seal plugin secrets with the current ENCRYPTION_KEY",
  description:
    "Re-seals every plugin secret that was sealed with a key from ENCRYPTION_KEYS_PREVIOUS with the current ENCRYPTION_KEY. " +
    "Afterwards the previous keys can be dropped.",
  options: {},
  run: ({ config, io }) =>
    withDatabase(config, io, "secrets:rotate", async (database) => {
      const [{ rotateSecrets }, { SecretBox }] = await Promise.all([import("../plugin-host/cli.js"), import("../plugin-host/secrets.js")]);
      const changed = await rotateSecrets(database, new SecretBox(config.encryptionKey, config.previousEncryptionKeys));
      io.out(`Re-sealed the secrets of ${changed} plugin installation(s) with the current key.`);
      return 0;
    }),
};
