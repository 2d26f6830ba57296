diesel::table! {
    sprockets (id) {
        id -> BigInt,
        name -> Text,
    }
}

#[derive(diesel::Queryable, loggable::Loggable)]
#[diesel(table_name = sprockets)]
#[loggable(title = name, lockable)]
struct Sprocket {
    id: i64,
    name: String,
    locked: bool,
}

fn main() {}
