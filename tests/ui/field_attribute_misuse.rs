#[derive(loggable::Loggable)]
struct Sprocket {
    id: i64,
    #[loggable(skip, redact)]
    secret: String,
    #[loggable(hidden)]
    notes: String,
    #[loggable(lockable = true)]
    other: String,
}

fn main() {}
