#[derive(loggable::Loggable)]
#[loggable(content_type = "shop.sprocket", colour = "red")]
struct Sprocket {
    id: i64,
}

fn main() {}
