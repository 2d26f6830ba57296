#[derive(loggable::Loggable)]
#[loggable(title = name)]
struct Sprocket {
    id: i64,
    title: String,
}

fn main() {}
