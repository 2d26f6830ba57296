-- The demo's snippet-like model: a product with locking, revisions and draft state.
CREATE TABLE demo_products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    locked BOOLEAN NOT NULL DEFAULT 0,
    locked_at TIMESTAMP,
    locked_by BIGINT,
    live BOOLEAN NOT NULL DEFAULT 0,
    has_unpublished_changes BOOLEAN NOT NULL DEFAULT 0,
    first_published_at TIMESTAMP,
    last_published_at TIMESTAMP,
    live_revision_id BIGINT,
    latest_revision_id BIGINT
);
