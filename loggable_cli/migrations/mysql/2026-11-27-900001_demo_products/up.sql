-- The demo's snippet-like model: a product with locking, revisions and draft state.
CREATE TABLE demo_products (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name LONGTEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    locked_at DATETIME(6),
    locked_by BIGINT,
    live BOOLEAN NOT NULL DEFAULT FALSE,
    has_unpublished_changes BOOLEAN NOT NULL DEFAULT FALSE,
    first_published_at DATETIME(6),
    last_published_at DATETIME(6),
    live_revision_id BIGINT,
    latest_revision_id BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
