DROP TABLE loggable_page_comment_replies;
DROP TABLE loggable_page_comments;
