import type { Command } from "./command.js";
import { withDatabase } from "./database.js";

export const secretsRotate: Command = {
  name: "secrets:rotate",
  summary: "re-seal plugin secrets and the tenants' file keys with the current ENCRYPTION_KEY",
  description:
    "Re-seals every plugin secret and every tenant's data key (which encrypts its attachment files) that was sealed with a key from " +
    "ENCRYPTION_KEYS_PREVIOUS with the current ENCRYPTION_KEY. The files themselves are not rewritten. Afterwards the previous keys can be dropped.",
  options: {},
  run: ({ config, io }) =>
    withDatabase(config, io, "secrets:rotate", async (database) => {
      const [{ rotateSecrets }, { SecretBox }, { rotateDataKeys }] = await Promise.all([
        import("../plugin-host/cli.js"),
        import("../plugin-host/secrets.js"),
        import("../blobs/data-keys.js"),
      ]);
      const box = new SecretBox(config.encryptionKey, config.previousEncryptionKeys);
      const changed = await rotateSecrets(database, box);
      io.out(`Re-sealed the secrets of ${changed} plugin installation(s) and mailbox(es) with the current key.`);
      const keys = await rotateDataKeys(database.prisma, box);
      io.out(`Re-sealed the file keys of ${keys} tenant(s) with the current key.`);
      return 0;
    }),
};
