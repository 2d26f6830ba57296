#[derive(loggable::Loggable)]
struct Sprocket(i64, String);

fn main() {}
