-- The newsroom's own tables. Its users have UUID keys; articles keep their body as JSONB and
-- their publication time with its time zone.
CREATE TABLE users (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE pages (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL
);

CREATE TABLE articles (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    body JSONB NOT NULL,
    published_at TIMESTAMPTZ,
    author_id UUID NOT NULL REFERENCES users (id),
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    locked_at TIMESTAMP,
    locked_by UUID REFERENCES users (id)
);
