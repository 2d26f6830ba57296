//! The handlers: each reads on a lent connection, as the request's user, then renders.

use std::borrow::Cow;
use std::io::Write;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use loggable::Loggable;
use loggable::entry::{LogTable, PAGE_LOG};
use loggable::export::ExportFormat;
use loggable::permission::Viewer;
use loggable::report::{self, RevisionMarks, SITE_HISTORY_PAGE_SIZE};

use crate::query::{PageQuery, cursor_token};
use crate::{Connections, HistoryPages, Unavailable, render};

pub(crate) fn router<P: Connections>(pages: HistoryPages<P>) -> Router {
    Router::new()
        .route("/", get(site_history::<P>))
        .route("/export", get(export::<P>))
        .route(
            "/object/{content_type}/{object_id}",
            get(object_history::<P>),
        )
        .with_state(pages)
}

/// What a page answers when it cannot show what was asked.
enum Refusal {
    BadParameter(String),
    NoUser,
    NotFound,
    Unavailable,
    Failed,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, title, detail) = match self {
            Self::BadParameter(detail) => (StatusCode::BAD_REQUEST, "Bad request", detail),
            Self::NoUser => (
                StatusCode::FORBIDDEN,
                "Forbidden",
                "Sign in to see the history.".to_owned(),
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no history to show here.".to_owned(),
            ),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "The history cannot be read right now; try again shortly.".to_owned(),
            ),
            Self::Failed => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Error",
                "The history could not be read.".to_owned(),
            ),
        };
        (status, Html(render::problem(title, &detail).into_string())).into_response()
    }
}

impl From<Unavailable> for Refusal {
    fn from(unavailable: Unavailable) -> Self {
        match unavailable {
            Unavailable::NoConnection(_) => Self::Unavailable,
            Unavailable::Failed(
                loggable::Error::InvalidObjectId { .. } | loggable::Error::NotFound { .. },
            ) => Self::NotFound,
            Unavailable::Failed(_) => Self::Failed,
        }
    }
}

fn parse(query: Option<&str>, offset: chrono::FixedOffset) -> Result<PageQuery, Refusal> {
    PageQuery::parse(query, offset.local_minus_utc())
        .map_err(|bad| Refusal::BadParameter(format!("{}: {}", bad.name, bad.reason)))
}

/// Where the router is mounted (`""` at the root), for links that work from any page: the
/// request's original path less the part the router saw (path parameters of the mount
/// included, e.g. `/{tenant}/history`).
fn base(parts: &Parts) -> String {
    let Some(original) = parts.extensions.get::<axum::extract::OriginalUri>() else {
        return String::new();
    };
    let original = original.path();
    let inner = parts.uri.path();
    let base = if inner == "/" {
        original
    } else {
        original.strip_suffix(inner).unwrap_or(original)
    };
    base.trim_end_matches('/').to_owned()
}

/// An object the pages were asked about: its type and id, in the table it logs to.
struct Asked {
    content_type: String,
    object_id: String,
    table: LogTable,
}

impl Loggable for Asked {
    fn content_type(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.content_type)
    }

    fn object_id(&self) -> Option<String> {
        Some(self.object_id.clone())
    }

    fn declared_log_table(&self) -> Option<LogTable> {
        Some(self.table)
    }
}

/// The request's viewer: an unknown user is an inactive one, who sees nothing.
fn viewer(conn: &mut impl loggable::db::LogConnection, user_id: i64) -> loggable::Result<Viewer> {
    Ok(Viewer::load(conn, user_id)?.unwrap_or(Viewer {
        user_id,
        is_active: false,
        is_superuser: false,
        sees_deleted_pages: false,
    }))
}

async fn site_history<P: Connections>(
    State(pages): State<HistoryPages<P>>,
    parts: Parts,
    RawQuery(query): RawQuery,
) -> Result<Html<String>, Refusal> {
    let user = (pages.user_of)(&parts).ok_or(Refusal::NoUser)?;
    let offset = pages.offset_for(&parts);
    let query = parse(query.as_deref(), offset)?;
    let registry = pages.registry.clone();
    let (filters, after) = (query.filters.clone(), query.after.clone());
    let (page, choices, names) = pages
        .connections
        .run(move |conn| {
            let viewer = viewer(conn, user)?;
            let page = report::site_history_page(
                conn,
                &registry,
                Some(&viewer),
                &filters,
                after,
                SITE_HISTORY_PAGE_SIZE,
            )?;
            let choices = report::site_history_choices(conn, &registry, Some(&viewer))?;
            let names =
                registry.display_names(conn, page.entries.iter().map(|e| e.user_id.clone()))?;
            Ok((page, choices, names))
        })
        .await?;
    let base = base(&parts);
    let markup = render::site_history(&render::SitePage {
        base: &base,
        registry: &pages.registry,
        entries: &page.entries,
        names: &names,
        choices: &choices,
        query: &query,
        next: page.next.as_ref().map(cursor_token),
        offset,
    });
    Ok(Html(markup.into_string()))
}

async fn object_history<P: Connections>(
    State(pages): State<HistoryPages<P>>,
    parts: Parts,
    Path((content_type, object_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Html<String>, Refusal> {
    let user = (pages.user_of)(&parts).ok_or(Refusal::NoUser)?;
    let offset = pages.offset_for(&parts);
    let query = parse(query.as_deref(), offset)?;
    let registry = pages.registry.clone();
    let page_number = query.page;
    let filters = query.filters.clone();
    let table_name = query.table.clone();
    let found = pages
        .connections
        .run(move |conn| {
            // The table a site-history link names (a type may log to a table it declares
            // itself, unknown to the registry), else the one the registry gives the type.
            let table = match table_name {
                Some(name) => match registry
                    .all_log_tables(conn)?
                    .into_iter()
                    .find(|table| table.name() == name)
                {
                    Some(table) => table,
                    None => return Ok(None),
                },
                None => registry.log_table_for(&content_type),
            };
            let Ok(object_id) = table.check_object_id(&object_id) else {
                return Ok(None);
            };
            let object = Asked {
                content_type,
                object_id: object_id.clone(),
                table,
            };
            let viewer = viewer(conn, user)?;
            // A page's live and draft marks come from its row.
            let marks = match (table == PAGE_LOG, object_id.parse::<i64>()) {
                (true, Ok(id)) => match loggable::page::find(conn, id) {
                    Ok(page) => RevisionMarks::of(&page),
                    Err(_) => RevisionMarks::default(),
                },
                _ => RevisionMarks::default(),
            };
            let history = report::object_history(
                conn,
                &registry,
                &object,
                Some(&viewer),
                marks,
                &filters,
                page_number,
            )?;
            let names = registry.display_names(
                conn,
                history.rows.iter().map(|row| row.entry.user_id.clone()),
            )?;
            let title = history
                .rows
                .first()
                .map(|row| row.entry.label.clone())
                .unwrap_or_default();
            Ok(Some((history, names, title)))
        })
        .await?;
    let Some((history, names, title)) = found else {
        return Err(Refusal::NotFound);
    };
    if history.total == 0 {
        return Err(Refusal::NotFound);
    }
    if page_number > history.pages {
        return Err(Refusal::NotFound);
    }
    let base = base(&parts);
    let mut kept = query.filter_pairs();
    if let Some(table) = &query.table {
        kept.push(("table", table.clone()));
    }
    let markup = render::object_history(&render::ObjectPage {
        base: &base,
        kept: &kept,
        registry: &pages.registry,
        title,
        rows: &history.rows,
        names: &names,
        page: history.page,
        pages: history.pages,
        offset,
    });
    Ok(Html(markup.into_string()))
}

/// Hands what the export writes to the response body a chunk at a time, so a long export
/// streams in flat memory.
struct ChunkSender {
    chunks: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    buffer: Vec<u8>,
}

const CHUNK_BYTES: usize = 64 * 1024;

/// How long a download may stall (its reader not reading) before the export gives up and
/// returns its connection to the pool.
const STALL_LIMIT: Duration = Duration::from_secs(60);

impl Write for ChunkSender {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK_BYTES {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        use tokio::sync::mpsc::error::TrySendError;
        if self.buffer.is_empty() {
            return Ok(());
        }
        // The export runs on a blocking thread: waiting here applies back-pressure, up to
        // the stall limit.
        let mut chunk = Ok(Bytes::from(std::mem::take(&mut self.buffer)));
        let deadline = Instant::now() + STALL_LIMIT;
        loop {
            match self.chunks.try_send(chunk) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(_)) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::BrokenPipe,
                        "download cancelled",
                    ));
                }
                Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                    chunk = back;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(TrySendError::Full(_)) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "download stalled",
                    ));
                }
            }
        }
    }
}

async fn export<P: Connections>(
    State(pages): State<HistoryPages<P>>,
    parts: Parts,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    let user = (pages.user_of)(&parts).ok_or(Refusal::NoUser)?;
    let format = form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "format")
        .map(|(_, value)| value.into_owned());
    let (format, content_type, file) = match format.as_deref() {
        Some("csv") => (ExportFormat::Csv, "text/csv; charset=utf-8", "history.csv"),
        Some("jsonl") => (
            ExportFormat::JsonLines,
            "application/x-ndjson",
            "history.jsonl",
        ),
        _ => return Err(Refusal::BadParameter("format: csv or jsonl".to_owned())),
    };
    let offset = pages.offset_for(&parts);
    let query = parse(query.as_deref(), offset)?;
    // Before any header goes out: a database that cannot be reached is a 503, not an empty
    // file.
    let viewer = pages
        .connections
        .run(move |conn| viewer(conn, user))
        .await?;
    let registry = pages.registry.clone();
    let (chunks, mut receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    let failed = chunks.clone();
    let filters = query.filters;
    let connections = pages.connections.clone();
    let work = move |conn: &mut P::Connection| {
        let mut out = ChunkSender {
            chunks,
            buffer: Vec::new(),
        };
        let rows = loggable::export::site_history(
            conn,
            &registry,
            Some(&viewer),
            &filters,
            format,
            &mut out,
            |_| {},
        )?;
        out.flush()
            .map_err(|e| loggable::Error::Export(e.to_string()))?;
        Ok(rows)
    };
    // The export runs while the body is sent. A failure midway ends the body with an error,
    // so the download is seen to be cut short, never taken for a complete file.
    tokio::spawn(async move {
        if let Err(error) = connections.run(work).await {
            let reason = match error {
                Unavailable::NoConnection(reason) => reason,
                Unavailable::Failed(error) => error.to_string(),
            };
            let _ = failed.send(Err(std::io::Error::other(reason))).await;
        }
    });
    let body = Body::from_stream(futures_util::stream::poll_fn(move |context| {
        receiver.poll_recv(context)
    }));
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response())
}
