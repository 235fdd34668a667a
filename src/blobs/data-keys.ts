import { randomBytes } from "node:crypto";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { SecretBox } from "../plugin-host/secrets.js";

/**
 * Envelope encryption: every tenant has a random data key that encrypts its
 * files; the key is stored sealed by the server's ENCRYPTION_KEY (SecretBox).
 * Rotating ENCRYPTION_KEY re-seals these 32-byte keys, never the files, and
 * deleting a tenant's key leaves whatever is left of its files unreadable.
 */
export class TenantDataKeys {
  private readonly open = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly box: SecretBox,
  ) {}

  /** The tenant's data key, made on first use. */
  get(tenantId: string): Promise<Buffer> {
    let key = this.open.get(tenantId);
    if (!key) {
      key = this.load(tenantId);
      this.open.set(tenantId, key);
      // A failure (the database away) is not remembered: the next call asks again.
      key.catch(() => this.open.delete(tenantId));
    }
    return key;
  }

  private async load(tenantId: string): Promise<Buffer> {
    const found = await this.prisma.tenantDataKey.findUnique({ where: { tenantId } });
    if (found) return this.unseal(found.sealed);
    // Two instances may make one at the same moment: the first insert wins, both read it back.
    const sealed = this.box.seal(randomBytes(32).toString("base64"));
    await this.prisma.tenantDataKey.createMany({ data: [{ tenantId, sealed }], skipDuplicates: true });
    return this.unseal((await this.prisma.tenantDataKey.findUniqueOrThrow({ where: { tenantId } })).sealed);
  }

  private unseal(sealed: string): Buffer {
    return Buffer.from(this.box.open(sealed), "base64");
  }

  /** Forgets the tenant's key held in memory (the tenant is being deleted). */
  forget(tenantId: string): void {
    this.open.delete(tenantId);
  }
}

/** Re-seals every data key sealed with an older ENCRYPTION_KEY; returns how many changed. The files are untouched. */
export async function rotateDataKeys(prisma: PrismaClient, box: SecretBox): Promise<number> {
  let changed = 0;
  for (const row of await prisma.tenantDataKey.findMany({ select: { tenantId: true, sealed: true } })) {
    if (!box.isStale(row.sealed)) continue;
    await prisma.tenantDataKey.update({ where: { tenantId: row.tenantId }, data: { sealed: box.rotate(row.sealed) } });
    changed++;
  }
  return changed;
}
