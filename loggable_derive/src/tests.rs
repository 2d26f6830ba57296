//! The derive's output, pinned: each case expands a struct and compares the formatted code
//! with its snapshot (`src/snapshots/`; review changes with `cargo insta review`). Errors are
//! pinned the same way, as the messages a user reads.

use quote::quote;

/// The derive's output for `input`, formatted, or its error messages.
fn expand(input: proc_macro2::TokenStream) -> String {
    let input: syn::DeriveInput = syn::parse2(input).expect("a struct");
    match crate::expand(&input) {
        Ok(tokens) => {
            let file: syn::File = syn::parse2(tokens).expect("the output parses as items");
            prettyplease::unparse(&file)
        }
        Err(error) => error.into_iter().map(|e| format!("error: {e}\n")).collect(),
    }
}

#[test]
fn an_object_without_a_table_gets_loggable_and_registered_only() {
    insta::assert_snapshot!(expand(quote! {
        #[loggable(content_type = "shop.sprocket", title = name)]
        struct Sprocket {
            id: i64,
            name: String,
        }
    }));
}

#[test]
fn a_model_with_a_table_gets_its_statements_and_lifecycle() {
    insta::assert_snapshot!(expand(quote! {
        #[diesel(table_name = sprockets)]
        #[loggable(content_type = "shop.sprocket", title = name, new = NewSprocket<'_>)]
        struct Sprocket {
            id: i64,
            name: String,
            #[loggable(redact)]
            secret: String,
            #[loggable(skip)]
            views: i32,
        }
    }));
}

#[test]
fn capabilities_add_their_traits() {
    insta::assert_snapshot!(expand(quote! {
        #[diesel(table_name = articles)]
        #[loggable(title = title, lockable, scheduling, privacy, custom_delete, new = Self)]
        struct Article {
            id: i64,
            title: String,
            locked: bool,
            locked_at: Option<NaiveDateTime>,
            locked_by: Option<i64>,
            live: bool,
            has_unpublished_changes: bool,
            first_published_at: Option<NaiveDateTime>,
            last_published_at: Option<NaiveDateTime>,
            live_revision_id: Option<i64>,
            latest_revision_id: Option<i64>,
            go_live_at: Option<NaiveDateTime>,
            expire_at: Option<NaiveDateTime>,
            expired: bool,
        }
    }));
}

#[test]
fn misuse_is_reported_all_at_once() {
    insta::assert_snapshot!(expand(quote! {
        #[loggable(title = nmae, lockable, table = sprockets, colour = "red")]
        struct Sprocket {
            id: i64,
            name: String,
            locked: String,
        }
    }));
}

#[test]
fn every_generated_item_sits_inside_one_anonymous_const() {
    let output = expand(quote! {
        #[diesel(table_name = sprockets)]
        #[loggable(lockable)]
        struct Sprocket {
            id: i64,
            locked: bool,
            locked_at: Option<NaiveDateTime>,
            locked_by: Option<i64>,
        }
    });
    let file = syn::parse_file(&output).expect("formatted output parses");
    assert_eq!(file.items.len(), 1, "{output}");
    assert!(
        matches!(&file.items[0], syn::Item::Const(c) if c.ident == "_"),
        "{output}"
    );
}
