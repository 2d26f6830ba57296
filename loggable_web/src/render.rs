//! The pages' HTML, with maud: every value is escaped as it is written, so a label holding
//! markup shows as text. No JavaScript; a narrow screen gets one column per row.

use chrono::{FixedOffset, Utc};
use loggable::DisplayNames;
use loggable::LogEntry;
use loggable::registry::Registry;
use loggable::report::{Choice, FilterChoices, HistoryRow, relative_time};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::query::{PageQuery, encode};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1rem;color:#222}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;\
border-bottom:1px solid #ddd;vertical-align:top}form{display:flex;flex-wrap:wrap;gap:.5rem;\
margin-bottom:1rem}nav{margin:1rem 0;display:flex;gap:1rem}.mark{font-weight:bold}\
@media (max-width:40rem){thead{display:none}tr,td{display:block}tr{border-bottom:2px solid #bbb}}";

/// A whole page around `body`.
pub(crate) fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { h1 { (title) } (body) }
        }
    }
}

/// An error page.
pub(crate) fn problem(title: &str, detail: &str) -> Markup {
    layout(title, html! { p { (detail) } })
}

/// Where an entry's object history is, under the pages' `base` path (the entry's table
/// named, so a type logging to a table of its own is found); `None` for an entry with no
/// type, which names no object.
pub(crate) fn object_link(base: &str, entry: &LogEntry) -> Option<String> {
    let content_type = entry.content_type.as_deref()?;
    Some(format!(
        "{base}/object/{}/{}?{}",
        encode_segment(content_type),
        encode_segment(&entry.object_id),
        encode(&[("table", entry.log_table.to_owned())])
    ))
}

/// The site history's own address: the mount path (a nested router answers it without a
/// trailing slash), or `/` at the root.
fn home(base: &str) -> &str {
    if base.is_empty() { "/" } else { base }
}

/// `text` as one path segment: everything but unreserved characters percent-encoded (a
/// space as `%20`, never `+`).
fn encode_segment(text: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, SEGMENT).to_string()
}

fn select<T>(
    name: &str,
    label: &str,
    choices: &[Choice<T>],
    chosen: &[String],
    value: impl Fn(&T) -> String,
) -> Markup {
    html! {
        label {
            (label) " "
            select name=(name) multiple size="3" {
                @for choice in choices {
                    @let v = value(&choice.value);
                    option value=(v) selected[chosen.contains(&v)] { (choice.label) }
                }
            }
        }
    }
}

/// What the site history shows.
pub(crate) struct SitePage<'a> {
    /// Where the pages are mounted (`/admin/history`), for links.
    pub base: &'a str,
    pub registry: &'a Registry,
    pub entries: &'a [LogEntry],
    pub names: &'a DisplayNames,
    pub choices: &'a FilterChoices,
    pub query: &'a PageQuery,
    pub next: Option<String>,
    pub offset: FixedOffset,
}

pub(crate) fn site_history(page: &SitePage<'_>) -> Markup {
    let now = Utc::now();
    let filters = &page.query.filters;
    let users: Vec<String> = filters
        .users
        .iter()
        .map(|u| u.as_str().to_owned())
        .collect();
    let kept = encode(&page.query.filter_pairs());
    let with_kept = |extra: &str| {
        if kept.is_empty() {
            format!("?{extra}")
        } else {
            format!("?{kept}&{extra}")
        }
    };
    layout(
        "Site history",
        html! {
            form method="get" action=(home(page.base)) {
                (select("action", "Action", &page.choices.actions, &filters.actions, |v: &String| v.clone()))
                (select("user", "User", &page.choices.users, &users, |v| v.as_str().to_owned()))
                (select("type", "Type", &page.choices.content_types, &filters.content_types, |v: &String| v.clone()))
                label { "Name " input name="q" value=(filters.name_contains.clone().unwrap_or_default()); }
                label { "From " input type="date" name="from" value=(filters.from.map(|d| d.to_string()).unwrap_or_default()); }
                label { "To " input type="date" name="to" value=(filters.to.map(|d| d.to_string()).unwrap_or_default()); }
                button type="submit" { "Filter" }
            }
            nav {
                a href=(format!("{}/export{}", page.base, with_kept("format=csv"))) { "Download CSV" }
                a href=(format!("{}/export{}", page.base, with_kept("format=jsonl"))) { "Download JSON Lines" }
            }
            table {
                thead { tr { th { "User" } th { "Date" } th { "Type" } th { "Object" } th { "Action" } } }
                tbody {
                    @for entry in page.entries {
                        tr {
                            td { (page.names.get(entry.user_id.as_ref())) }
                            td { (relative_time(entry.timestamp, now, &page.offset)) }
                            td { (page.registry.type_label(entry.content_type.as_deref())) }
                            td {
                                @match object_link(page.base, entry) {
                                    Some(link) => a href=(link) { (entry.label) },
                                    None => (entry.label),
                                }
                            }
                            td { (page.registry.message_with_comment(entry)) }
                        }
                    }
                }
            }
            @if page.entries.is_empty() { p { "No entries." } }
            @if let Some(next) = &page.next {
                nav { a rel="next" href=(format!("{}{}", home(page.base), with_kept(&encode(&[("after", next.clone())])))) { "Older entries" } }
            }
        },
    )
}

/// What an object's history shows.
pub(crate) struct ObjectPage<'a> {
    /// Where the pages are mounted, for links.
    pub base: &'a str,
    /// The query pairs page links keep (filters, the table).
    pub kept: &'a [(&'static str, String)],
    pub registry: &'a Registry,
    pub title: String,
    pub rows: &'a [HistoryRow],
    pub names: &'a DisplayNames,
    pub page: i64,
    pub pages: i64,
    pub offset: FixedOffset,
}

/// Page `number` of an object's history, keeping `kept`.
fn page_link(kept: &[(&'static str, String)], number: i64) -> String {
    let mut pairs = kept.to_vec();
    pairs.push(("page", number.to_string()));
    format!("?{}", encode(&pairs))
}

pub(crate) fn object_history(page: &ObjectPage<'_>) -> Markup {
    let now = Utc::now();
    layout(
        &format!("History of {}", page.title),
        html! {
            nav { a href=(home(page.base)) { "Site history" } }
            table {
                thead { tr { th { "User" } th { "Date" } th { "Action" } th { "Status" } } }
                tbody {
                    @for row in page.rows {
                        tr {
                            td { (page.names.get(row.entry.user_id.as_ref())) }
                            td { (relative_time(row.entry.timestamp, now, &page.offset)) }
                            td {
                                (page.registry.message_with_comment(&row.entry))
                                @let lines = loggable::report::field_changes(&row.entry);
                                @if !lines.is_empty() {
                                    ul { @for line in &lines { li { (line.to_string()) } } }
                                }
                            }
                            td class="mark" { (row.mark.map(|m| m.label()).unwrap_or_default()) }
                        }
                    }
                }
            }
            nav {
                @if page.page > 1 { a rel="prev" href=(page_link(page.kept, page.page - 1)) { "Newer" } }
                span { "Page " (page.page) " of " (page.pages) }
                @if page.page < page.pages { a rel="next" href=(page_link(page.kept, page.page + 1)) { "Older" } }
            }
        },
    )
}
