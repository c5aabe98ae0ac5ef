-- The embedded store: one SQLite file, built whole by the indexer and swapped in by rename.
-- Records are ordered by kind, then latitude, so one kind's latitude band is a contiguous
-- range of rowids.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The records of truth: the validated document, as JSON.
CREATE TABLE records (
    rowid INTEGER PRIMARY KEY,
    id    TEXT NOT NULL UNIQUE,
    kind  TEXT NOT NULL,
    doc   TEXT NOT NULL
);

-- Ids that merged into a record (its `aliases`): /v1/resources/<alias> redirects to `id`.
CREATE TABLE aliases (
    alias TEXT PRIMARY KEY,
    id    TEXT NOT NULL
);

-- Spatial index over record locations (points stored as degenerate boxes).
CREATE VIRTUAL TABLE records_rtree USING rtree(rowid, min_lat, max_lat, min_lon, max_lon);

-- Full-text search over names, descriptions and places; rowid matches records.rowid.
CREATE VIRTUAL TABLE records_fts USING fts5(
    name, description, place,
    content = '',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- The column arrays derived from the records (search/columns.py) are in a file of their
-- own beside this one, named by meta's `column_file` (column_file.py).
