#[derive(loggable::Loggable)]
#[loggable(scheduling)]
struct Sprocket {
    id: i64,
}

fn main() {}
