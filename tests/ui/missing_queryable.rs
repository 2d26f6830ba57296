use loggable::model::LogOptions;
use loggable::prelude::*;

diesel::table! {
    sprockets (id) {
        id -> BigInt,
        name -> Text,
    }
}

// No `Queryable`: the model's statements cannot load it.
#[derive(Clone, loggable::Loggable)]
#[loggable(table = sprockets, title = name)]
struct Sprocket {
    id: i64,
    name: String,
}

fn main() {
    let mut conn = <diesel::SqliteConnection as diesel::Connection>::establish(":memory:").unwrap();
    let sprocket = Sprocket::find(&mut conn, &1);
    let _ = (sprocket, LogOptions::default());
}
