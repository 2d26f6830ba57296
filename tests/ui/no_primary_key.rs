#[derive(loggable::Loggable)]
struct Sprocket {
    code: String,
}

fn main() {}
