-- TEAM views named their team by id without a foreign key: ids of no team of the
-- view's tenant are cleared first (such a view stays its owner's, as before).
UPDATE "SavedView" v SET "teamId" = NULL
WHERE v."teamId" IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM "Team" t WHERE t."id" = v."teamId" AND t."tenantId" = v."tenantId");

-- CreateIndex
CREATE INDEX "SavedView_teamId_idx" ON "SavedView"("teamId");

-- AddForeignKey
ALTER TABLE "SavedView" ADD CONSTRAINT "SavedView_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE SET NULL ON UPDATE CASCADE;
