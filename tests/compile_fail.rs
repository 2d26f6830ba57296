//! The derive's misuse errors, pinned as users see them.

#[test]
fn derive_misuse_is_a_compile_error_saying_what_to_write() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
