//! The newsroom's tables. Two column types differ by backend; `sql_types` names them.

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::AccountKey;

    users (id) {
        id -> AccountKey,
        name -> Text,
    }
}

diesel::table! {
    pages (id) {
        id -> BigInt,
        slug -> Text,
        title -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{AccountKey, Moment};

    articles (id) {
        id -> BigInt,
        title -> Text,
        body -> Jsonb,
        published_at -> Nullable<Moment>,
        author_id -> AccountKey,
        locked -> Bool,
        locked_at -> Nullable<Timestamp>,
        locked_by -> Nullable<AccountKey>,
    }
}

diesel::joinable!(articles -> users (author_id));
diesel::allow_tables_to_appear_in_same_query!(users, pages, articles);
