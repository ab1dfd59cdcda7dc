-- 0003_gazetteer: a Latin search key beside the Cyrillic one, so that a query
-- typed on a Latin keyboard ("Kenesary 40") finds "Кенесары көшесі, 40". Both
-- keys are computed in Go (geo.NormalizeAddress, geo.LatinKey) at load time:
-- PostgreSQL has no transliteration for the Kazakh letters.
ALTER TABLE gazetteer ADD COLUMN latin text NOT NULL DEFAULT '';
CREATE INDEX gazetteer_latin_trgm_idx ON gazetteer USING gin (latin gin_trgm_ops);
