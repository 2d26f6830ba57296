//! Database URLs: which backend, and where.

use std::fmt;

use crate::error::{Error, Result};

/// The database engine behind a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackendKind {
    /// SQLite, the embedded default.
    Sqlite,
    /// PostgreSQL.
    Postgresql,
    /// MySQL or MariaDB.
    Mysql,
}

impl BackendKind {
    /// The lower-case name used in reports and benchmarks (`sqlite`, `postgresql`, `mysql`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgresql => "postgresql",
            Self::Mysql => "mysql",
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parsed database URL.
///
/// Accepted forms: `postgres://…` or `postgresql://…`; `mysql://…` or `mariadb://…`
/// (`mysql://user:password@host:port/database`); `sqlite://PATH`, `sqlite::memory:`,
/// `:memory:`, or a bare file path for SQLite.
///
/// ```
/// use loggable::db::{BackendKind, DatabaseUrl};
///
/// let url = DatabaseUrl::parse("sqlite://data/site.sqlite3")?;
/// assert_eq!(url.backend(), BackendKind::Sqlite);
/// assert_eq!(url.driver_target(), "data/site.sqlite3");
///
/// assert!(DatabaseUrl::parse("ftp://example").is_err());
/// # Ok::<(), loggable::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: BackendKind,
    target: String,
}

const MEMORY: &str = ":memory:";

impl DatabaseUrl {
    /// Parses `url`; an error names the URL (password masked) and what is wrong with it.
    pub fn parse(url: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidDatabaseUrl {
            url: mask_password(url),
            reason: reason.to_owned(),
        };
        let trimmed = url.trim();
        if trimmed.is_empty() {
            return Err(invalid("the URL is empty"));
        }
        if trimmed.contains('\0') {
            return Err(invalid("the URL contains a NUL character"));
        }
        let looks_like_keywords = trimmed.split_once('=').is_some_and(|(key, _)| {
            !key.trim().is_empty()
                && key
                    .trim()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if !trimmed.contains("://") && looks_like_keywords {
            // A libpq keyword string (`host=... password=...`) is no file name.
            return Err(invalid(
                "this looks like a libpq keyword string; write it as \
                 postgres://user:password@host:port/database (or sqlite://PATH for a file)",
            ));
        }
        let Some((scheme, rest)) = trimmed.split_once(':') else {
            return Ok(Self::sqlite(trimmed));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "" if trimmed == MEMORY => Ok(Self::sqlite(MEMORY)),
            "postgres" | "postgresql" => Ok(Self {
                backend: BackendKind::Postgresql,
                target: format!(
                    "{scheme}://{}",
                    server_part(
                        rest,
                        "expected postgres://[user[:password]@]host[:port]/database"
                    )
                    .map_err(invalid)?
                ),
            }),
            "sqlite" => {
                let path = rest.strip_prefix("//").unwrap_or(rest);
                if path.is_empty() {
                    return Err(invalid(
                        "the URL names no SQLite file (use sqlite://PATH or :memory:)",
                    ));
                }
                Ok(Self::sqlite(path))
            }
            // The client library takes `mysql://` only; `mariadb://` names the same thing.
            "mysql" | "mariadb" => Ok(Self {
                backend: BackendKind::Mysql,
                target: format!(
                    "mysql://{}",
                    server_part(
                        rest,
                        "expected mysql://[user[:password]@]host[:port]/database"
                    )
                    .map_err(invalid)?
                ),
            }),
            // A Windows drive letter or a relative path with a colon is still a file path.
            _ if !rest.starts_with("//") => Ok(Self::sqlite(trimmed)),
            other => Err(invalid(&format!(
                "unknown scheme '{other}' (expected postgres://, mysql://, sqlite://, a file path or :memory:)"
            ))),
        }
    }

    fn sqlite(path: &str) -> Self {
        Self {
            backend: BackendKind::Sqlite,
            target: path.to_owned(),
        }
    }

    /// Which backend the URL names.
    pub fn backend(&self) -> BackendKind {
        self.backend
    }

    /// What the driver is given: the PostgreSQL or MySQL URL, or the SQLite path or `:memory:`.
    pub fn driver_target(&self) -> &str {
        &self.target
    }

    /// Whether this is an in-memory SQLite database.
    pub(crate) fn is_memory(&self) -> bool {
        self.backend == BackendKind::Sqlite && self.target == MEMORY
    }
}

/// What follows `scheme:` in a server's URL, without its `//`; why not, when it is no such
/// thing (`expected` says what the URL should look like).
fn server_part<'a>(
    rest: &'a str,
    expected: &'static str,
) -> std::result::Result<&'a str, &'static str> {
    let Some(after_slashes) = rest.strip_prefix("//") else {
        return Err(expected);
    };
    if after_slashes.is_empty() {
        return Err("the URL names no host or database");
    }
    Ok(after_slashes)
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.backend {
            BackendKind::Postgresql | BackendKind::Mysql => {
                f.write_str(&mask_password(&self.target))
            }
            BackendKind::Sqlite if self.is_memory() => f.write_str(MEMORY),
            BackendKind::Sqlite => write!(f, "sqlite://{}", self.target),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Replaces the password of `scheme://user:password@host` by `***`, so errors can name URLs.
pub(crate) fn mask_password(url: &str) -> String {
    let masked = mask_userinfo(url);
    mask_password_parameters(&masked)
}

/// `scheme://user:***@host...`: the password of the URL's user information.
fn mask_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &authority[..at];
    match userinfo.split_once(':') {
        Some((user, _password)) => {
            format!("{scheme}://{user}:***{}", &rest[at..])
        }
        None => url.to_owned(),
    }
}

/// Every `password=VALUE` (any key ending in `password`, any case) masked, whether it is a
/// query parameter (`?password=x&...`) or a libpq keyword (`password='x y' host=...`).
fn mask_password_parameters(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find("password=") {
        let value_start = search + found + "password=".len();
        let bytes = text.as_bytes();
        let value_end = if bytes.get(value_start) == Some(&b'\'') {
            // A quoted keyword value runs to the next unescaped quote.
            let mut i = value_start + 1;
            while i < bytes.len() && bytes[i] != b'\'' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            (i + 1).min(bytes.len())
        } else {
            text[value_start..]
                .find(['&', ' ', '\t', '\n', '#'])
                .map_or(text.len(), |end| value_start + end)
        };
        out.push_str(&text[copied..value_start]);
        out.push_str("***");
        copied = value_end;
        search = value_end.max(value_start);
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_every_accepted_form() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/test",
                BackendKind::Postgresql,
                "postgres://postgres@127.0.0.1:5432/test",
            ),
            (
                "postgresql://h/db",
                BackendKind::Postgresql,
                "postgresql://h/db",
            ),
            (
                "mysql://root@127.0.0.1:3306/test",
                BackendKind::Mysql,
                "mysql://root@127.0.0.1:3306/test",
            ),
            // The client library knows `mysql://` only.
            (
                "mariadb://u:p@db/site",
                BackendKind::Mysql,
                "mysql://u:p@db/site",
            ),
            ("sqlite://site.db", BackendKind::Sqlite, "site.db"),
            ("sqlite:///abs/site.db", BackendKind::Sqlite, "/abs/site.db"),
            ("sqlite::memory:", BackendKind::Sqlite, ":memory:"),
            (":memory:", BackendKind::Sqlite, ":memory:"),
            ("loggable.sqlite3", BackendKind::Sqlite, "loggable.sqlite3"),
            ("./dir/x.db", BackendKind::Sqlite, "./dir/x.db"),
            ("C:\\data\\x.db", BackendKind::Sqlite, "C:\\data\\x.db"),
        ];
        for (input, backend, target) in cases {
            let url = DatabaseUrl::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(url.backend(), backend, "{input}");
            assert_eq!(url.driver_target(), target, "{input}");
        }
    }

    #[test]
    fn rejects_bad_urls_naming_the_url_and_reason() {
        for (input, reason) in [
            ("", "empty"),
            ("   ", "empty"),
            ("postgres:db", "expected postgres://"),
            ("postgres://", "no host"),
            ("sqlite://", "no SQLite file"),
            ("ftp://host/x", "unknown scheme 'ftp'"),
            ("mysql:test", "expected mysql://"),
            ("mariadb://", "no host"),
            ("a\0b", "NUL"),
        ] {
            let err = DatabaseUrl::parse(input).expect_err(input).to_string();
            assert!(err.contains(reason), "{input:?}: {err}");
            assert!(
                err.contains(&format!("'{}'", mask_password(input))),
                "{input:?}: {err}"
            );
        }
    }

    #[test]
    fn masks_passwords_in_every_form() {
        for (text, secret) in [
            ("postgres://bob:hunter2@host/db", "hunter2"),
            ("postgres://u@host/db?password=secret", "secret"),
            (
                "postgres://u@host/db?sslmode=require&PASSWORD=s3cr3t&x=1",
                "s3cr3t",
            ),
            ("postgres://u:one@host/db?sslpassword=two", "two"),
            ("host=db.example password=secret dbname=app", "secret"),
            ("host=db password='with space' user=x", "with space"),
        ] {
            let masked = mask_password(text);
            assert!(!masked.contains(secret), "{text} -> {masked}");
            assert!(masked.contains("***"), "{masked}");
        }
        assert_eq!(
            mask_password("postgres://u@host/db?password=secret&sslmode=require"),
            "postgres://u@host/db?password=***&sslmode=require"
        );
    }

    #[test]
    fn a_keyword_string_is_refused_not_taken_for_a_file() {
        let err = DatabaseUrl::parse("host=db.example password=secret dbname=app").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("libpq keyword string"), "{text}");
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn masks_passwords_in_errors_and_display() {
        let err = DatabaseUrl::parse("ftp://bob:hunter2@host/db")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("ftp://bob:***@host/db"), "{err}");
        let url = DatabaseUrl::parse("postgres://bob:hunter2@host/db").unwrap();
        assert_eq!(url.to_string(), "postgres://bob:***@host/db");
        assert_eq!(
            mask_password("postgres://bob@host/db"),
            "postgres://bob@host/db"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2_000)
        ))]

        /// Any text either parses or is refused with a message naming it (password masked);
        /// nothing panics, and a server password never shows. (An SQLite target is a file
        /// path, shown as given even if it looks like `user:secret@`.)
        #[test]
        fn any_text_parses_or_is_refused_without_leaking_a_password(
            text in "\\PC{0,60}",
            scheme in proptest::sample::select(vec!["postgres://", "postgresql://", "sqlite://", "mysql://", "", "ftp://"]),
            password in "[a-zA-Z0-9]{4,12}",
        ) {
            for input in [text.clone(), format!("{scheme}{text}"), format!("{scheme}bob:{password}@{text}")] {
                match DatabaseUrl::parse(&input) {
                    Ok(url) if url.backend() == BackendKind::Sqlite => {}
                    Ok(url) => {
                        let shown = url.to_string();
                        proptest::prop_assert!(!shown.contains(&format!(":{password}@")), "{shown}");
                    }
                    Err(error) => {
                        let message = error.to_string();
                        proptest::prop_assert!(message.contains(&mask_password(&input)), "{message}");
                        proptest::prop_assert!(!message.contains(&format!(":{password}@")), "{message}");
                    }
                }
            }
        }
    }
}
