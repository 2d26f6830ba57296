diesel::table! {
    sprocket_log_entries (id) {
        id -> BigInt,
        content_type -> Nullable<Text>,
        label -> Text,
        action -> Text,
        data -> Text,
        timestamp -> Timestamp,
        uuid -> Nullable<Text>,
        user_id -> Nullable<Text>,
        revision_id -> Nullable<BigInt>,
        deleted -> Bool,
        sprocket_id -> BigInt,
    }
}

// The table lacks `content_changed`, and the object column is read as a float.
loggable::log_table! {
    pub const SPROCKET_LOG = sprocket_log_entries(sprocket_id: f64);
}

fn main() {}
