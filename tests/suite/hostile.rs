//! Hostile and oversized input (issue #9, first part): limits with typed errors, text that
//! looks like SQL or is hard to store round-trips byte for byte, filters never run it, and
//! formatting any `data` never panics.

use loggable::registry::Registry;
use loggable::report::{Filters, site_history_page};
use loggable::{Error, LogEntry, ObjectRef, log};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::common::TestDb;

use crate::common::widget_registry as registry;

#[test]
fn oversized_data_and_object_ids_are_refused_and_long_labels_cut() {
    let mut db = TestDb::new();
    let mut registry = registry();
    let widget = ObjectRef::new("shop.widget", 1).title("W");
    let big = json!({ "blob": "x".repeat(loggable::registry::DEFAULT_MAX_DATA_BYTES) });
    let err = log(&widget, "wagtail.edit")
        .data(big)
        .write_with(&mut db.conn, &registry)
        .unwrap_err();
    assert!(
        matches!(err, Error::DataTooLarge { bytes, limit } if bytes > limit && limit == 1024 * 1024),
        "{err}"
    );
    registry.set_max_data_bytes(64);
    let err = log(&widget, "wagtail.edit")
        .data(json!({ "note": "y".repeat(64) }))
        .write_with(&mut db.conn, &registry)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "log entry data is 75 bytes of JSON; at most 64 are allowed"
    );
    let long_id = ObjectRef::new("shop.widget", "k".repeat(256)).title("W");
    let err = log(&long_id, "wagtail.edit")
        .write_with(&mut db.conn, &registry)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidObjectId { .. }), "{err}");
    // Nothing of the refused entries was written.
    assert!(entries_matching(&mut db.conn, &registry, &Filters::default()).is_empty());

    let title = "é".repeat(loggable::entry::MAX_LABEL_CHARS + 10);
    let written = log(&widget, "wagtail.edit")
        .title(title)
        .write_with(&mut db.conn, &registry)
        .unwrap();
    assert_eq!(
        written.label.chars().count(),
        loggable::entry::MAX_LABEL_CHARS
    );
    assert!(written.label.ends_with("é…"));
}

/// The first 100 entries of the site history under `filters`.
fn entries_matching(
    conn: &mut loggable::db::DbConnection,
    registry: &Registry,
    filters: &Filters,
) -> Vec<LogEntry> {
    site_history_page(conn, registry, None, filters, None, 100)
        .unwrap()
        .entries
}

/// Text that must come back exactly: SQL metacharacters, quotes, control characters (no NUL,
/// which neither backend stores in text), right-to-left marks, emoji, LIKE wildcards.
const HOSTILE: &[&str] = &[
    "'; DROP TABLE loggable_page_log_entries; --",
    "Robert'); DELETE FROM auth_users WHERE ('1'='1",
    "\" OR \"\"=\"",
    "50% off_sale \\ back\\slash",
    "tab\there\r\nnew line\u{7}bell\u{1b}[31mred",
    "\u{202e}evil\u{202c} \u{200f}rtl\u{200e}",
    "family 👨‍👩‍👧‍👦 flag 🇳🇿 zwj",
    "=HYPERLINK(\"http://x\")",
    "$1 ?? ? :name @p0",
];

#[test]
fn hostile_text_round_trips_byte_for_byte_and_filters_do_not_run_it() {
    let mut db = TestDb::new();
    let registry = registry();
    for (i, text) in HOSTILE.iter().enumerate() {
        let object = ObjectRef::new("shop.widget", format!("{text}#{i}")).title(*text);
        log(&object, "wagtail.edit")
            .data(json!({ "text": text, "nested": { "list": [text] } }))
            .write_with(&mut db.conn, &registry)
            .unwrap();
    }
    let read = entries_matching(&mut db.conn, &registry, &Filters::default());
    assert_eq!(read.len(), HOSTILE.len());
    for entry in &read {
        let text = entry.data["text"].as_str().unwrap();
        assert!(HOSTILE.contains(&text));
        assert_eq!(entry.label, text);
        assert!(entry.object_id.starts_with(text));
        assert_eq!(entry.data["nested"]["list"][0], text);
    }
    // Each text as a "name contains" filter finds its own entry (and the tables survive).
    for text in HOSTILE {
        let filters = Filters {
            name_contains: Some((*text).to_owned()),
            ..Filters::default()
        };
        let found = entries_matching(&mut db.conn, &registry, &filters);
        assert!(
            found.iter().any(|e| e.label == *text),
            "{text:?} did not find itself"
        );
        let filters = Filters {
            actions: vec![(*text).to_owned()],
            content_types: vec![(*text).to_owned()],
            ..Filters::default()
        };
        assert!(entries_matching(&mut db.conn, &registry, &filters).is_empty());
    }
    let still_there = entries_matching(&mut db.conn, &registry, &Filters::default());
    assert_eq!(still_there.len(), HOSTILE.len());
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        // Huge strings and datetime-looking text.
        Just(Value::String("z".repeat(100_000))),
        Just(Value::String("2024-02-30T25:61:00Z".to_owned())),
        Just(Value::String("2024-05-01T10:00:00+02:00".to_owned())),
    ];
    leaf.prop_recursive(8, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map(
                prop_oneof![
                    // Keys the built-in templates read, so they meet wrong types and nulls.
                    Just("title".to_owned()),
                    Just("old".to_owned()),
                    Just("new".to_owned()),
                    Just("revision".to_owned()),
                    Just("go_live_at".to_owned()),
                    Just("workflow".to_owned()),
                    Just("task".to_owned()),
                    Just("comment".to_owned()),
                    Just("restriction".to_owned()),
                    Just("source".to_owned()),
                    Just("destination".to_owned()),
                    Just("field".to_owned()),
                    Just("text".to_owned()),
                    ".{0,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::common::cases(256), ..ProptestConfig::default() })]

    #[test]
    fn formatting_any_data_never_panics(data in prop::collection::hash_map(".{0,12}", json_value(), 0..6), deep in json_value()) {
        let registry = Registry::new();
        let mut data: Map<String, Value> = data.into_iter().collect();
        // Something deep under every key the templates might follow.
        for key in ["title", "revision", "workflow", "task", "comment", "restriction", "source", "destination"] {
            data.entry(key.to_owned()).or_insert_with(|| deep.clone());
        }
        for action in registry.actions() {
            let entry = LogEntry {
                id: 1,
                log_table: "loggable_model_log_entries",
                object_id: "1".to_owned(),
                content_type: Some("shop.widget".to_owned()),
                label: "W".to_owned(),
                action: action.code().to_owned(),
                data: data.clone(),
                timestamp: chrono::Utc::now(),
                uuid: None,
                user_id: None,
                revision_id: None,
                content_changed: false,
                deleted: false,
                unreadable: None,
            };
            let message = registry.message(&entry);
            let _ = registry.comment(&entry);
            prop_assert!(!message.is_empty(), "{} gave an empty message", action.code());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::common::cases(64), ..ProptestConfig::default() })]

    /// "Name contains" finds exactly the labels that contain the text (ASCII case folded),
    /// whatever LIKE wildcards, escapes or quotes the text holds.
    #[test]
    fn name_contains_matches_exactly_the_labels_holding_the_text(
        labels in prop::collection::vec("[ -~]{1,16}", 1..6),
        pick in any::<prop::sample::Index>(),
        start in 0_usize..16,
        length in 0_usize..6,
        other in "[ -~%_\\\\]{0,4}",
    ) {
        let mut db = TestDb::new();
        let registry = registry();
        for (i, label) in labels.iter().enumerate() {
            log(&ObjectRef::new("shop.widget", i).title(label.as_str()), "wagtail.edit")
                .write_with(&mut db.conn, &registry)
                .unwrap();
        }
        let chosen = pick.get(&labels);
        let from = start.min(chosen.len());
        let to = (from + length).min(chosen.len());
        for needle in [chosen[from..to].to_owned(), other] {
            let filters = Filters { name_contains: Some(needle.clone()), ..Filters::default() };
            let mut found: Vec<String> = entries_matching(&mut db.conn, &registry, &filters)
                .into_iter()
                .map(|e| e.label)
                .collect();
            let mut expected: Vec<String> = labels
                .iter()
                .filter(|l| l.to_ascii_lowercase().contains(&needle.to_ascii_lowercase()))
                .cloned()
                .collect();
            found.sort();
            expected.sort();
            prop_assert_eq!(found, expected, "needle {:?}", needle);
        }
    }
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_made_inert() {
    let mut db = TestDb::new();
    let registry = registry();
    let risky = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR"];
    for text in risky {
        log(
            &ObjectRef::new("shop.widget", text).title(text),
            "wagtail.edit",
        )
        .write_with(&mut db.conn, &registry)
        .unwrap();
    }
    let mut out = Vec::new();
    loggable::export::site_history(
        &mut db.conn,
        &registry,
        None,
        &Filters::default(),
        loggable::export::ExportFormat::Csv,
        &mut out,
        |_| (),
    )
    .unwrap();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let mut cells = 0;
    for record in reader.records() {
        let record = record.unwrap();
        for cell in [&record[0], &record[1]] {
            assert!(cell.starts_with('\''), "{cell:?} is live");
            assert!(risky.contains(&&cell[1..]), "{cell:?}");
            cells += 1;
        }
    }
    assert_eq!(cells, 2 * risky.len());
}
