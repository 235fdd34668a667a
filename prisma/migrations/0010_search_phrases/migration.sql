-- ---- Hand-written: phrases through an index of adjacent word pairs ----
--
-- The GIN indexes of 0007_search keep no word positions: a phrase such as
-- "credit card" found every row holding both words, and each was read from the
-- table to check that they are adjacent (28,000 rows for 1,100 matches at a
-- million messages). These indexes hold each row's pairs of adjacent lexemes,
-- taken from the stored vector's own positions, so a phrase's candidates are
-- the rows that hold one of its pairs. The phrase itself is still checked on
-- the vector (@@): the pairs only narrow what is read. They cost writes: a
-- single-row message insert takes 0.15 ms more inside the database (the pairs,
-- and their entries in the index). Prisma's schema cannot express these
-- expression indexes; they live here only, like the triggers of 0007.

-- The distinct "lexeme lexeme" pairs at positions p and p + 1 of a vector
-- (every lexeme at a position, should a dictionary give several).
CREATE FUNCTION deskgraph_search_pairs(v tsvector) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT a.lexeme || ' ' || b.lexeme), '{}')
  FROM (SELECT u.lexeme, p FROM unnest(v) AS u, unnest(u.positions) AS p) AS a
  JOIN (SELECT u.lexeme, p FROM unnest(v) AS u, unnest(u.positions) AS p) AS b ON b.p = a.p + 1
$$;

CREATE INDEX "Message_searchPairs_idx" ON "Message" USING GIN (deskgraph_search_pairs("searchVector"));
CREATE INDEX "Ticket_searchPairs_idx" ON "Ticket" USING GIN (deskgraph_search_pairs("searchVector"));
CREATE INDEX "Contact_searchPairs_idx" ON "Contact" USING GIN (deskgraph_search_pairs("searchVector"));
