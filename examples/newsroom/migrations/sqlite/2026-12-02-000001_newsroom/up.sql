-- The newsroom's own tables, as its tests create them on SQLite: UUID keys as text, the
-- body as SQLite's binary JSON, the publication time as text with its offset.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE pages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL
);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    body BLOB NOT NULL,
    published_at TEXT,
    author_id TEXT NOT NULL REFERENCES users (id),
    locked BOOLEAN NOT NULL DEFAULT 0,
    locked_at TIMESTAMP,
    locked_by TEXT REFERENCES users (id)
);
