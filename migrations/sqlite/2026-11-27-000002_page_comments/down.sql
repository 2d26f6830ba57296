DROP TABLE page_comment_replies;
DROP TABLE page_comments;
