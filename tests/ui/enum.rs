#[derive(loggable::Loggable)]
enum Sprocket {
    Left,
    Right,
}

fn main() {}
