//! What a page's query string asks for: the report filters, a cursor, a page number. Anything
//! that does not parse is a 400 naming the parameter, never a guess.

use chrono::{DateTime, NaiveDate};
use loggable::entry::Cursor;
use loggable::report::Filters;

/// The parameters of a history page, as parsed.
#[derive(Debug, Default)]
pub(crate) struct PageQuery {
    pub filters: Filters,
    pub after: Option<Cursor>,
    pub page: i64,
    /// The log table an object link names.
    pub table: Option<String>,
}

/// A parameter that does not parse, and why.
#[derive(Debug)]
pub(crate) struct BadParameter {
    pub name: String,
    pub reason: &'static str,
}

impl PageQuery {
    /// Parses `query` (`action=...&user=...&type=...&q=...&from=...&to=...&after=...&page=...`;
    /// `action`, `user` and `type` may repeat).
    pub(crate) fn parse(
        query: Option<&str>,
        utc_offset_seconds: i32,
    ) -> Result<Self, BadParameter> {
        let mut parsed = PageQuery {
            page: 1,
            ..PageQuery::default()
        };
        parsed.filters.utc_offset_seconds = utc_offset_seconds;
        let bad = |name: &str, reason| BadParameter {
            name: name.to_owned(),
            reason,
        };
        for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            if value.is_empty() {
                continue;
            }
            let value = value.into_owned();
            match name.as_ref() {
                "action" => parsed.filters.actions.push(value),
                "user" => parsed.filters.users.push(value.into()),
                "type" => parsed.filters.content_types.push(value),
                "q" => parsed.filters.name_contains = Some(value),
                "table" => parsed.table = Some(value),
                "from" => {
                    parsed.filters.from =
                        Some(day(&value).ok_or_else(|| bad("from", "not a date (YYYY-MM-DD)"))?);
                }
                "to" => {
                    parsed.filters.to =
                        Some(day(&value).ok_or_else(|| bad("to", "not a date (YYYY-MM-DD)"))?);
                }
                "after" => {
                    parsed.after =
                        Some(cursor(&value).ok_or_else(|| bad("after", "not a page position"))?);
                }
                "page" => {
                    parsed.page = value
                        .parse::<i64>()
                        .ok()
                        .filter(|page| *page >= 1)
                        .ok_or_else(|| bad("page", "not a page number"))?;
                }
                // Unknown parameters are the application's (a tracking tag, a session).
                _ => {}
            }
        }
        Ok(parsed)
    }

    /// The filters as query pairs, for links that keep them.
    pub(crate) fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        let filters = &self.filters;
        let mut pairs: Vec<(&'static str, String)> = Vec::new();
        pairs.extend(filters.actions.iter().map(|a| ("action", a.clone())));
        pairs.extend(
            filters
                .users
                .iter()
                .map(|u| ("user", u.as_str().to_owned())),
        );
        pairs.extend(filters.content_types.iter().map(|t| ("type", t.clone())));
        if let Some(text) = &filters.name_contains {
            pairs.push(("q", text.clone()));
        }
        if let Some(from) = filters.from {
            pairs.push(("from", from.to_string()));
        }
        if let Some(to) = filters.to {
            pairs.push(("to", to.to_string()));
        }
        pairs
    }
}

/// `pairs` as a query string (without the `?`).
pub(crate) fn encode(pairs: &[(&str, String)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        out.append_pair(name, value);
    }
    out.finish()
}

fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A cursor as links carry it: `{microseconds}.{id}.{table}`.
pub(crate) fn cursor_token(cursor: &Cursor) -> String {
    format!(
        "{}.{}.{}",
        cursor.timestamp.timestamp_micros(),
        cursor.id,
        cursor.table
    )
}

fn cursor(token: &str) -> Option<Cursor> {
    let mut parts = token.splitn(3, '.');
    let micros = parts.next()?.parse::<i64>().ok()?;
    let id = parts.next()?.parse::<i64>().ok()?;
    let table = parts.next()?.to_owned();
    Some(Cursor {
        timestamp: DateTime::from_timestamp_micros(micros)?,
        id,
        table,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_repeat_and_bad_values_name_their_parameter() {
        let parsed = PageQuery::parse(
            Some("action=wagtail.edit&action=wagtail.publish&user=3&q=caf%C3%A9&from=2026-01-02"),
            0,
        )
        .unwrap();
        assert_eq!(parsed.filters.actions, ["wagtail.edit", "wagtail.publish"]);
        assert_eq!(parsed.filters.name_contains.as_deref(), Some("café"));
        assert_eq!(parsed.filters.from, NaiveDate::from_ymd_opt(2026, 1, 2));
        for (query, name) in [
            ("from=yesterday", "from"),
            ("after=x.1.t", "after"),
            ("page=0", "page"),
        ] {
            assert_eq!(PageQuery::parse(Some(query), 0).unwrap_err().name, name);
        }
    }

    #[test]
    fn a_cursor_survives_its_token() {
        let cursor = Cursor {
            timestamp: DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap(),
            id: 42,
            table: "audit.sprocket_log".to_owned(),
        };
        let token = cursor_token(&cursor);
        let parsed = PageQuery::parse(Some(&encode(&[("after", token)])), 0).unwrap();
        assert_eq!(parsed.after, Some(cursor));
    }
}
