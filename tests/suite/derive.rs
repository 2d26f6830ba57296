//! `#[derive(Loggable)]`: what the attributes configure, seen through written entries.

use loggable::prelude::*;
use loggable::registry::Registry;
use loggable::{Loggable, log};

use crate::common::TestDb;
use crate::custom_table::SPROCKET_LOG;

#[derive(Loggable)]
#[loggable(content_type = "shop.sprocket", title = name, log_table = SPROCKET_LOG)]
struct Sprocket {
    id: i64,
    name: String,
    #[loggable(verbose_name = "number of teeth")]
    teeth_count: i32,
}

#[derive(Loggable)]
#[loggable(title = headline)]
struct BlogPost {
    id: i32,
    headline: Option<String>,
}

#[derive(Loggable)]
#[loggable(primary_key = code, title_fn = display_title, verbose_name = "warehouse bin")]
struct Bin {
    code: Option<String>,
    row: u8,
}

impl Bin {
    fn display_title(&self) -> String {
        format!("Row {}", self.row)
    }
}

#[test]
fn attributes_configure_type_key_title_and_names() {
    let sprocket = Sprocket {
        id: 3,
        name: "Left".into(),
        teeth_count: 12,
    };
    assert_eq!(sprocket.content_type(), "shop.sprocket");
    assert_eq!(sprocket.object_id().as_deref(), Some("3"));
    assert_eq!(sprocket.log_title().as_deref(), Some("Left"));
    assert_eq!(sprocket.type_name(), "Sprocket");
    assert_eq!(sprocket.teeth_count, 12);

    // Defaults: crate name + lower-cased struct, `id`; an `Option` title may be absent.
    let post = BlogPost {
        id: 9,
        headline: None,
    };
    assert_eq!(BlogPost::CONTENT_TYPE, "suite.blogpost");
    assert_eq!(post.object_id().as_deref(), Some("9"));
    assert_eq!(post.log_title(), None);

    let unsaved = Bin { code: None, row: 2 };
    assert_eq!(unsaved.object_id(), None);
    assert_eq!(unsaved.log_title().as_deref(), Some("Row 2"));
}

#[test]
fn model_type_registers_verbose_names_fields_and_table() {
    let mut registry = Registry::new();
    registry
        .register_model(Sprocket::model_type())
        .register_model(BlogPost::model_type())
        .register_model(Bin::model_type());
    assert_eq!(
        registry.log_table_for("shop.sprocket").name(),
        "sprocket_log_entries"
    );
    assert_eq!(
        registry.log_table_for(BlogPost::CONTENT_TYPE).name(),
        "loggable_model_log_entries"
    );
    assert_eq!(
        registry
            .field_label("shop.sprocket", "teeth_count")
            .as_deref(),
        Some("number of teeth")
    );
    assert_eq!(
        registry.field_label("shop.sprocket", "name").as_deref(),
        Some("name")
    );
    assert_eq!(registry.field_label("shop.sprocket", "colour"), None);
    let schedule = |content_type: &str| {
        let mut entry = log(
            &loggable::ObjectRef::new(content_type, 1),
            "wagtail.publish.schedule",
        )
        .prepare(&registry)
        .unwrap()
        .1
        .into_entry(1, "loggable_model_log_entries");
        entry.content_type = Some(content_type.to_owned());
        registry.message(&entry)
    };
    assert_eq!(
        schedule(BlogPost::CONTENT_TYPE),
        "Blog post scheduled for publishing"
    );
    assert_eq!(
        schedule(Bin::CONTENT_TYPE),
        "Warehouse bin scheduled for publishing"
    );
}

#[test]
fn derived_models_are_logged_to_their_table() {
    let mut db = TestDb::new();
    let mut registry = Registry::new();
    registry.register_model(BlogPost::model_type());
    let post = BlogPost {
        id: 5,
        headline: Some("Hello".into()),
    };
    let entry = log(&post, "wagtail.create")
        .write_with(&mut db.conn, &registry)
        .unwrap();
    assert_eq!(
        (entry.log_table, entry.label.as_str()),
        ("loggable_model_log_entries", "Hello")
    );
    let untitled = BlogPost {
        id: 6,
        headline: None,
    };
    let entry = log(&untitled, "wagtail.create")
        .write_with(&mut db.conn, &registry)
        .unwrap();
    assert_eq!(entry.label, "BlogPost object (6)");
    let err =
        log(&Bin { code: None, row: 1 }, "wagtail.create").write_with(&mut db.conn, &registry);
    assert!(matches!(
        err,
        Err(loggable::Error::MissingPrimaryKey { .. })
    ));
}
