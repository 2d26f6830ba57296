-- The demo's snippet-like model: a product with locking, revisions and draft state.
CREATE TABLE demo_products (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    locked_at TIMESTAMP,
    locked_by BIGINT,
    live BOOLEAN NOT NULL DEFAULT FALSE,
    has_unpublished_changes BOOLEAN NOT NULL DEFAULT FALSE,
    first_published_at TIMESTAMP,
    last_published_at TIMESTAMP,
    live_revision_id BIGINT,
    latest_revision_id BIGINT
);
