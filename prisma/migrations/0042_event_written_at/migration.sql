-- An event's createdAt is when its row was written, by the database's clock in UTC:
-- not the start of its transaction (now()), which counted a long transaction's own
-- time, or a lock wait before the write, in the numbering delay (publishedAt −
-- createdAt); and not the application's clock, which Prisma used for its own inserts.
-- In UTC whatever the session's time zone, as every stored timestamp is.
ALTER TABLE "Event" ALTER COLUMN "createdAt" SET DEFAULT timezone('UTC'::text, clock_timestamp());
