-- Comments on pages and their replies; saved together with a page revision.
CREATE TABLE loggable_page_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    page_id BIGINT NOT NULL REFERENCES loggable_pages (id) ON DELETE CASCADE,
    contentpath TEXT NOT NULL,
    text TEXT NOT NULL,
    user_id BIGINT REFERENCES loggable_users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP
);
CREATE INDEX loggable_page_comments_page_id ON loggable_page_comments (page_id);

CREATE TABLE loggable_page_comment_replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    comment_id BIGINT NOT NULL REFERENCES loggable_page_comments (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    user_id BIGINT REFERENCES loggable_users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX loggable_page_comment_replies_comment_id ON loggable_page_comment_replies (comment_id);
