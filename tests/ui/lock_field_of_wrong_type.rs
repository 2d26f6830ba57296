diesel::table! {
    sprockets (id) {
        id -> BigInt,
        name -> Text,
        locked -> Bool,
        locked_at -> Nullable<Timestamp>,
        locked_by -> Nullable<BigInt>,
    }
}

#[derive(Clone, diesel::Queryable, loggable::Loggable)]
#[diesel(table_name = sprockets)]
#[loggable(title = name, lockable)]
struct Sprocket {
    id: i64,
    name: String,
    locked: String,
    locked_at: Option<chrono::NaiveDateTime>,
    locked_by: Option<i64>,
}

fn main() {}
