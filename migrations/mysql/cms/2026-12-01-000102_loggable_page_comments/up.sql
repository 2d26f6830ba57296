-- Comments on pages and their replies; saved together with a page revision. Foreign keys and
-- their indexes as in loggable_cms: `user_id` gets an index, which InnoDB needs for its
-- foreign key.
CREATE TABLE loggable_page_comments (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    page_id BIGINT NOT NULL,
    contentpath LONGTEXT NOT NULL,
    text LONGTEXT NOT NULL,
    user_id BIGINT,
    created_at DATETIME(6) NOT NULL,
    resolved_at DATETIME(6),
    INDEX loggable_page_comments_page_id (page_id),
    INDEX loggable_page_comments_user_id (user_id),
    FOREIGN KEY (page_id) REFERENCES loggable_pages (id) ON DELETE CASCADE,
    FOREIGN KEY (user_id) REFERENCES loggable_users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE loggable_page_comment_replies (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    comment_id BIGINT NOT NULL,
    text LONGTEXT NOT NULL,
    user_id BIGINT,
    created_at DATETIME(6) NOT NULL,
    INDEX loggable_page_comment_replies_comment_id (comment_id),
    INDEX loggable_page_comment_replies_user_id (user_id),
    FOREIGN KEY (comment_id) REFERENCES loggable_page_comments (id) ON DELETE CASCADE,
    FOREIGN KEY (user_id) REFERENCES loggable_users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
