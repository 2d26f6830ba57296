// A log context is entered only by a scope, so it is always left in the order it was
// entered: there is no guard that could be dropped out of order (or held across an `.await`).
fn main() {
    let outer = loggable::LogContext::new(Some(1));
    let inner = loggable::LogContext::new(Some(2));
    let a = outer.enter();
    let b = inner.enter();
    drop(a);
    drop(b);
}
