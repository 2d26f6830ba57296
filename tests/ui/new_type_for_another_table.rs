diesel::table! {
    sprockets (id) {
        id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    widgets (id) {
        id -> BigInt,
        name -> Text,
    }
}

#[derive(diesel::Insertable)]
#[diesel(table_name = widgets)]
struct NewWidget<'a> {
    name: &'a str,
}

#[derive(Clone, diesel::Queryable, loggable::Loggable)]
#[diesel(table_name = sprockets)]
#[loggable(title = name, new = NewWidget<'_>)]
struct Sprocket {
    id: i64,
    name: String,
}

fn main() {}
