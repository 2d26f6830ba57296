#[derive(loggable::Loggable)]
#[loggable(content_type = "sprocket", title = name, title_fn = label)]
struct Sprocket {
    id: i64,
    name: String,
}

fn main() {}
