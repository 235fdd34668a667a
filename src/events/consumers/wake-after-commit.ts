/**
 * For a consumer whose batches queue work for a worker (webhook deliveries,
 * notifications): `queued` marks the tenant when its batch queued something,
 * and `afterCommit` (the consumer's) wakes the worker once that batch has
 * committed. A batch that queued nothing wakes nobody: the worker would only
 * look and find nothing. A batch rolled back after `queued` leaves one wake
 * too many at worst, never one too few.
 */
export function wakeAfterCommit(wake: () => void) {
  const tenants = new Set<string>();
  return {
    queued(tenantId: string): void {
      tenants.add(tenantId);
    },
    afterCommit(tenantId: string): void {
      if (tenants.delete(tenantId)) wake();
    },
  };
}
