-- Comments on pages and their replies; saved together with a page revision.
CREATE TABLE page_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    contentpath TEXT NOT NULL,
    text TEXT NOT NULL,
    user_id BIGINT REFERENCES auth_users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP
);
CREATE INDEX page_comments_page_id ON page_comments (page_id);

CREATE TABLE page_comment_replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    comment_id BIGINT NOT NULL REFERENCES page_comments (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    user_id BIGINT REFERENCES auth_users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX page_comment_replies_comment_id ON page_comment_replies (comment_id);
