//! Reports: filters, keyset pagination across log tables, and export.

use std::collections::BTreeSet;

use chrono::{NaiveDate, TimeZone, Utc};
use loggable::db::DbConnection;
use loggable::export::{self, ExportFormat};
use loggable::registry::{ModelType, Registry};
use loggable::report::{self, Filters};
use loggable::user::{NewUser, create_user};
use loggable::{LogContext, ObjectRef, log};

use crate::common::TestDb;

fn registry() -> Registry {
    let mut registry = Registry::new();
    registry.set_user_directory(std::sync::Arc::new(loggable::user::CmsUsers));
    registry.register_model(ModelType::page("cms.simplepage").verbose_name("simple page"));
    registry
}

/// The labels of the site history's rows under `filters`.
fn labels(conn: &mut DbConnection, registry: &Registry, filters: Filters) -> BTreeSet<String> {
    report::site_history_page(conn, registry, None, &filters, None, 1000)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.label)
        .collect()
}

#[test]
fn every_filter_narrows_the_site_history() {
    let mut db = TestDb::new();
    let registry = registry();
    let ada = crate::common::user(&mut db.conn, "ada");
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2024, 5, d, h, 0, 0).unwrap();
    let write =
        |conn: &mut DbConnection, object: ObjectRef, action: &str, user: Option<i64>, at| {
            LogContext::without_uuid(user)
                .scope(|| {
                    log(&object, action)
                        .timestamp(at)
                        .write_with(conn, &registry)
                })
                .unwrap();
        };
    write(
        &mut db.conn,
        ObjectRef::new("cms.simplepage", 1).title("Home Page"),
        "wagtail.edit",
        Some(ada),
        day(1, 10),
    );
    write(
        &mut db.conn,
        ObjectRef::new("cms.simplepage", 2).title("50%_off"),
        "wagtail.comments.create",
        None,
        day(2, 23),
    );
    write(
        &mut db.conn,
        ObjectRef::new("shop.sprocket", 3).title("Sprocket"),
        "wagtail.publish",
        Some(ada),
        day(3, 1),
    );
    let only = |labels: &[&str]| {
        labels
            .iter()
            .map(|l| l.to_string())
            .collect::<BTreeSet<_>>()
    };

    let f = |build: fn(&mut Filters)| {
        let mut filters = Filters::default();
        build(&mut filters);
        filters
    };
    assert_eq!(
        labels(
            &mut db.conn,
            &registry,
            f(|f| f.name_contains = Some("home".into()))
        ),
        only(&["Home Page"])
    );
    assert_eq!(
        labels(
            &mut db.conn,
            &registry,
            f(|f| f.name_contains = Some("%_".into()))
        ),
        only(&["50%_off"])
    );
    assert_eq!(
        labels(
            &mut db.conn,
            &registry,
            f(|f| f.name_contains = Some("_".into()))
        ),
        only(&["50%_off"])
    );
    assert_eq!(
        labels(
            &mut db.conn,
            &registry,
            f(|f| f.content_types = vec!["shop.sprocket".into()])
        ),
        only(&["Sprocket"])
    );
    assert_eq!(
        labels(
            &mut db.conn,
            &registry,
            f(|f| f.actions = vec!["wagtail.edit".into(), "wagtail.publish".into()])
        ),
        only(&["Home Page", "Sprocket"])
    );
    let by_user = Filters {
        users: vec![ada.into()],
        ..Filters::default()
    };
    assert_eq!(
        labels(&mut db.conn, &registry, by_user),
        only(&["Home Page", "Sprocket"])
    );
    // Several users and types: any of them, in both log tables.
    let bob = crate::common::user(&mut db.conn, "bob");
    write(
        &mut db.conn,
        ObjectRef::new("shop.gear", 4).title("Gear"),
        "wagtail.create",
        Some(bob),
        day(4, 9),
    );
    let by_users = Filters {
        users: vec![bob.into(), ada.into()],
        content_types: vec!["shop.gear".into(), "cms.simplepage".into()],
        ..Filters::default()
    };
    assert_eq!(
        labels(&mut db.conn, &registry, by_users.clone()),
        only(&["Home Page", "Gear"])
    );
    // Past the length an index may serve, the lists are hashed instead: the same rows.
    // (An index serves lists of up to 32 values.)
    let long = 40;
    let mut by_long_lists = by_users;
    by_long_lists
        .users
        .extend((0..long as i64).map(|i| (1_000_000 + i).into()));
    by_long_lists
        .content_types
        .extend((0..long).map(|i| format!("shop.other{i}")));
    by_long_lists.actions = (0..long)
        .map(|i| format!("test.other{i}"))
        .chain(["wagtail.edit".to_owned(), "wagtail.create".to_owned()])
        .collect();
    assert_eq!(
        labels(&mut db.conn, &registry, by_long_lists),
        only(&["Home Page", "Gear"])
    );
    assert_eq!(
        labels(
            &mut db.conn,
            &registry,
            f(|f| f.comment_actions = Some(true))
        ),
        only(&["50%_off"])
    );
    assert_eq!(
        labels(
            &mut db.conn,
            &registry,
            f(|f| f.comment_actions = Some(false))
        ),
        only(&["Home Page", "Sprocket", "Gear"])
    );
    // Whole days, inclusive, in the display timezone.
    let mut may_2 = Filters {
        from: NaiveDate::from_ymd_opt(2024, 5, 2),
        to: NaiveDate::from_ymd_opt(2024, 5, 2),
        ..Filters::default()
    };
    assert_eq!(
        labels(&mut db.conn, &registry, may_2.clone()),
        only(&["50%_off"])
    );
    may_2.utc_offset_seconds = 2 * 3600; // 23:00 UTC on the 2nd is the 3rd at UTC+2
    assert_eq!(
        labels(&mut db.conn, &registry, may_2.clone()),
        only(&[] as &[&str])
    );
    may_2.to = NaiveDate::from_ymd_opt(2024, 5, 3);
    assert_eq!(
        labels(&mut db.conn, &registry, may_2),
        only(&["50%_off", "Sprocket"])
    );
}

#[test]
fn keyset_pages_return_every_entry_once_while_new_ones_arrive() {
    let mut db = TestDb::new();
    let registry = registry();
    let same_time = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    // Entries with equal timestamps and, across the two tables, equal ids.
    for i in 0..37 {
        let at = same_time + chrono::Duration::seconds(i / 5);
        log(
            &ObjectRef::new("cms.simplepage", i).title("P"),
            "wagtail.edit",
        )
        .timestamp(at)
        .write_with(&mut db.conn, &registry)
        .unwrap();
        log(
            &ObjectRef::new("shop.sprocket", i).title("S"),
            "wagtail.edit",
        )
        .timestamp(at)
        .write_with(&mut db.conn, &registry)
        .unwrap();
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = report::site_history_page(
            &mut db.conn,
            &registry,
            None,
            &Filters::default(),
            after,
            10,
        )
        .unwrap();
        seen.extend(page.entries.iter().map(|e| (e.log_table, e.id)));
        // Someone keeps working while the report is read.
        log(
            &ObjectRef::new("shop.sprocket", 999).title("New"),
            "wagtail.edit",
        )
        .write_with(&mut db.conn, &registry)
        .unwrap();
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let unique: BTreeSet<_> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no entry twice");
    assert_eq!(seen.len(), 74, "every entry of the first page's time once");
}

#[test]
fn csv_export_has_the_spec_columns_and_is_spreadsheet_safe() {
    let mut db = TestDb::new();
    let registry = registry();
    let user = create_user(
        &mut db.conn,
        &NewUser::new("eve").full_name("=cmd|' /C calc'!A0"),
    )
    .unwrap()
    .id;
    LogContext::new(Some(user))
        .scope(|| {
            log(
                &ObjectRef::new("cms.simplepage", 4).title("+1 page"),
                "wagtail.publish",
            )
            .write_with(&mut db.conn, &registry)
        })
        .unwrap();
    log(
        &ObjectRef::new("shop.sprocket", "x-9").title("@sum"),
        "wagtail.create",
    )
    .write_with(&mut db.conn, &registry)
    .unwrap();
    let mut out = Vec::new();
    let mut progress = Vec::new();
    let written = export::site_history(
        &mut db.conn,
        &registry,
        None,
        &Filters::default(),
        ExportFormat::Csv,
        &mut out,
        |n| progress.push(n),
    )
    .unwrap();
    assert_eq!(written, 2);
    assert_eq!(progress.last(), Some(&2));
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("\"ID\",\"Name\",\"Type\",\"Action type\",\"User\",\"Date/Time\"")
    );
    let first = lines.next().unwrap();
    assert!(
        first.starts_with("\"x-9\",\"'@sum\",\"shop.sprocket\",\"Create\",\"system\","),
        "{first}"
    );
    let second = lines.next().unwrap();
    assert!(
        second.starts_with("4,\"'+1 page\",\"Simple page\",\"Publish\",\"'=cmd|' /C calc'!A0\","),
        "{second}"
    );

    let mut jsonl = Vec::new();
    export::site_history(
        &mut db.conn,
        &registry,
        None,
        &Filters::default(),
        ExportFormat::JsonLines,
        &mut jsonl,
        |_| {},
    )
    .unwrap();
    let rows: Vec<serde_json::Value> = String::from_utf8(jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[1]["entry"]["label"], "+1 page",
        "JSON keeps text as it is"
    );
    assert_eq!(rows[1]["message"], "Published");
    assert_eq!(rows[1]["entry"]["log_table"], "loggable_page_log_entries");
}

#[test]
fn export_reads_every_row_once_across_chunks_and_tables() {
    let mut db = TestDb::new();
    let registry = registry();
    let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let pages: Vec<ObjectRef> = (0..2_600)
        .map(|i| ObjectRef::new("cms.simplepage", i).title("P"))
        .collect();
    let models: Vec<ObjectRef> = (0..1_900)
        .map(|i| ObjectRef::new("shop.sprocket", i).title("S"))
        .collect();
    // Ties on timestamp everywhere, and on id across the two tables.
    let builders = pages.iter().chain(&models).enumerate().map(|(i, object)| {
        log(object, "wagtail.edit").timestamp(at + chrono::Duration::seconds(i as i64 % 7))
    });
    let bulk = loggable::model::prepare_bulk(&registry, builders).unwrap();
    loggable::model::log_bulk(&mut db.conn, &bulk).unwrap();
    let (written, rows) = crate::common::export_json_lines(&mut db.conn, &registry);
    assert_eq!(written, 4_500);
    let keys: Vec<(String, i64, String)> = rows
        .iter()
        .map(|r| {
            let e = &r["entry"];
            (
                e["timestamp"].as_str().unwrap().to_owned(),
                e["id"].as_i64().unwrap(),
                e["log_table"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let unique: BTreeSet<(i64, String)> = keys
        .iter()
        .map(|(_, id, table)| (*id, table.clone()))
        .collect();
    assert_eq!(unique.len(), 4_500, "every row exactly once");
    for pair in keys.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            (&a.0, a.1) > (&b.0, b.1) || ((&a.0, a.1) == (&b.0, b.1) && a.2 < b.2),
            "{a:?} before {b:?}"
        );
    }
}
