//! The one error type of the library.

use std::fmt;

use crate::user_id::UserId;

/// Everything that can go wrong in loggable. Nothing is written when an error is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An entry was written with an action code the registry does not know.
    #[error("The log action '{0}' has not been registered.")]
    UnregisteredAction(String),

    /// An action was registered or logged with a code longer than the `action` column holds.
    #[error("the log action code is {length} characters long; at most {max} are allowed")]
    ActionTooLong {
        /// Length of the rejected code, in characters.
        length: usize,
        /// The longest code the `action` column holds.
        max: usize,
    },

    /// An action was registered with an empty code or an empty label.
    #[error("an action needs a non-empty {0}")]
    EmptyActionField(&'static str),

    /// A message template could not be parsed.
    #[error("invalid message template '{template}': {reason}")]
    InvalidTemplate {
        /// The template as given.
        template: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The object has no primary key yet (for example it was never saved).
    #[error("{content_type} object has no primary key, so it cannot be logged")]
    MissingPrimaryKey {
        /// Type name of the object.
        content_type: String,
    },

    /// The object's primary key does not fit the log table's object column.
    #[error("object id '{object_id}' cannot be stored in {table}: {reason}")]
    InvalidObjectId {
        /// The object id as given.
        object_id: String,
        /// The log table it was meant for.
        table: &'static str,
        /// Why it does not fit.
        reason: String,
    },

    /// `data` was given as JSON that is not an object (`{...}`).
    #[error("log entry data must be a JSON object, got {0}")]
    DataNotObject(JsonKind),

    /// Data stored in a log row could not be read back as a JSON object.
    #[error("log entry {id} in {table} has unreadable data: {reason}")]
    CorruptEntry {
        /// The log table.
        table: &'static str,
        /// The entry's id.
        id: i64,
        /// What could not be read.
        reason: String,
    },

    /// A connection pool could not be built or hand out a connection.
    #[error("connection pool: {0}")]
    Pool(String),
    /// The entry's `data` is larger than the registry allows
    /// ([`Registry::set_max_data_bytes`](crate::registry::Registry::set_max_data_bytes)).
    #[error("log entry data is {bytes} bytes of JSON; at most {limit} are allowed")]
    DataTooLarge {
        /// Size of the serialized data.
        bytes: usize,
        /// The cap.
        limit: usize,
    },
    /// The entry's label (the object's title) is empty.
    #[error("log entry label is empty: give the object a title or pass one explicitly")]
    EmptyLabel,

    /// A revision could not be written or read back as the model.
    #[error("revision {}: {reason}", revision_id.map_or_else(|| "(new)".to_owned(), |id| id.to_string()))]
    Revision {
        /// The revision, once it exists.
        revision_id: Option<i64>,
        /// What went wrong.
        reason: String,
    },

    /// The object to act on does not exist (any more).
    #[error("{content_type} with primary key '{object_id}' does not exist")]
    NotFound {
        /// Type name of the object.
        content_type: String,
        /// Its primary key as text.
        object_id: String,
    },

    /// The acting user may not do this (e.g. approve a task of another group).
    #[error("{user} may not {action}", user = user.map_or_else(|| "the system".to_owned(), |id| format!("user {id}")))]
    PermissionDenied {
        /// The acting user; `None` is the system.
        user: Option<i64>,
        /// What was refused.
        action: String,
    },

    /// The acting user's key does not fit a column that holds another kind of key (a UUID
    /// for one of the CMS layer's integer user columns, say).
    #[error("user key '{key}' does not fit {column}")]
    UserKeyMismatch {
        /// The key as given.
        key: String,
        /// The column it was meant for.
        column: &'static str,
    },

    /// The object is locked by another user: only the lock's holder may update, publish,
    /// delete or unlock it, unless the call overrides the lock
    /// ([`LogOptions::override_lock`](crate::model::LogOptions::override_lock)).
    #[error("{content_type} {object_id} is locked by {}", holder.as_ref().map_or_else(|| "the system".to_owned(), |h| format!("user {h}")))]
    Locked {
        /// The object's type name.
        content_type: String,
        /// The object's key.
        object_id: String,
        /// Who holds the lock.
        holder: Option<UserId>,
    },

    /// A model with draft state was asked for a revision but keeps none (its derive lacks
    /// `revisions`, which `draft_state` implies: a hand-written `Model` implementation).
    #[error("{content_type} has draft state but keeps no revisions")]
    DraftStateWithoutRevisions {
        /// The model's type name.
        content_type: &'static str,
    },

    /// A [`WriteHook`](crate::entry::WriteHook) returned no entry for the one it was asked to
    /// write.
    #[error("the write hook of a log table returned none of the entries it was asked to write")]
    WriteHookDroppedEntries,

    /// Entries waiting in a [`BufferedLog`](crate::entry::BufferedLog) could not be written
    /// (the error went to the call that sent them) and the transaction's body still returned
    /// `Ok`: the transaction is rolled back instead of committing without them.
    #[error(
        "log entries waiting to be written together could not be written; the transaction was rolled back"
    )]
    BufferedEntriesLost,

    /// A log table's `id` gave no value from its sequence (a
    /// [`BufferedLog`](crate::entry::BufferedLog) takes ids beforehand): the column is not a
    /// `BIGSERIAL` or identity column.
    #[error("log table {table} has no id sequence to take entry ids from")]
    NoEntryId {
        /// The table.
        table: &'static str,
    },

    /// A page's type-specific fields could not be read or written as JSON.
    #[error("page {page} does not hold {content_type} fields: {reason}")]
    PageFields {
        /// The page's id (`0` for a page not saved yet).
        page: i64,
        /// The page's specific type.
        content_type: String,
        /// What serde reported.
        reason: String,
    },

    /// A page was to be moved, copied or aliased into its own subtree (or next to itself).
    #[error("page {page} cannot be moved, copied or aliased into its own subtree")]
    IntoOwnSubtree {
        /// The page.
        page: i64,
    },

    /// A root page was to be moved, or given siblings.
    #[error("page {page} is a root page: it cannot be moved and has no siblings")]
    RootPage {
        /// The page.
        page: i64,
    },

    /// A page already has the most children a tree path can number.
    #[error("a page can have at most {max} children")]
    TooManyChildren {
        /// The most children a page can have.
        max: u32,
    },

    /// A stored page path is not made of whole steps.
    #[error("malformed page path '{path}'")]
    MalformedPagePath {
        /// The path as stored.
        path: String,
    },

    /// An alias operation was asked of a page that is no alias.
    #[error("page {page} is not an alias")]
    NotAnAlias {
        /// The page.
        page: i64,
    },

    /// A table this process hash-chains has no chain in the database yet.
    #[error("{table} is set to be hash-chained but has no chain yet; run integrity::enable first")]
    ChainNotStarted {
        /// The log table.
        table: &'static str,
    },

    /// A hash chain's key is too short to resist guessing.
    #[error("a hash chain key needs at least {min} bytes, this one has {len}")]
    ChainKeyTooShort {
        /// The key's length in bytes.
        len: usize,
        /// The least accepted.
        min: usize,
    },

    /// A hash chain's key could not be read from where it was asked for.
    #[error("cannot read the hash chain key from {source_name}: {reason}")]
    ChainKeyUnreadable {
        /// The environment variable or file.
        source_name: String,
        /// Why.
        reason: String,
    },

    /// A chain was made with another key than the one given (or with none, or the other way
    /// round): appending or verifying with this key would break or misjudge it.
    #[error("the hash chain of {table} {problem}")]
    ChainKeyMismatch {
        /// The log table.
        table: &'static str,
        /// What differs.
        problem: &'static str,
    },

    /// Purging would cut a hash chain anywhere but at its start.
    #[error(
        "the oldest entries of {table} are not the start of its hash chain; run `loggable verify`"
    )]
    ChainPrefixMismatch {
        /// The log table.
        table: &'static str,
    },

    /// A workflow step that the object's moderation run is not in a state to take.
    #[error("{content_type} {object_id} {problem}")]
    Moderation {
        /// The object's type name.
        content_type: &'static str,
        /// The object's primary key.
        object_id: String,
        /// What is wrong: `is already in moderation`, `has no task in progress`, `is not
        /// waiting for changes`.
        problem: &'static str,
    },

    /// The database lacks loggable's schema, or some of its migrations.
    #[error(
        "the database lacks {} of loggable's migrations (first: {}); run loggable's migrations (`loggable migrate`, or db::run_migrations)",
        missing.len(),
        missing.first().map_or("?", String::as_str)
    )]
    SchemaNotCurrent {
        /// The versions not applied, oldest first.
        missing: Vec<String>,
    },

    /// A workflow that is not active was asked to start.
    #[error("workflow '{workflow}' is not active")]
    WorkflowInactive {
        /// The workflow's name.
        workflow: String,
    },

    /// A task names a kind no one registered.
    #[error("unknown task kind '{0}'")]
    UnknownTaskKind(String),

    /// A test schema prefix that is not a plain identifier.
    #[error("schema prefix '{0}' must be lower-case letters, digits and underscores")]
    InvalidSchemaPrefix(String),

    /// Another purge holds the archive file's lock.
    #[error("another purge is writing to the archive {0}; try again when it has finished")]
    ArchiveBusy(String),

    /// Writing an export failed.
    #[error("export failed: {0}")]
    Export(String),

    /// The database URL could not be understood.
    #[error("invalid database URL '{url}': {reason}")]
    InvalidDatabaseUrl {
        /// The URL, with any password masked.
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The database named by the URL could not be reached or opened.
    #[error("cannot connect to database '{url}': {source}")]
    Connection {
        /// The URL, with any password masked.
        url: String,
        /// The driver's reason.
        #[source]
        source: diesel::ConnectionError,
    },

    /// The URL names a backend this build of loggable leaves out (its cargo feature is off).
    #[error("loggable was built without {backend} support: enable its cargo feature")]
    BackendNotEnabled {
        /// The backend the URL names.
        backend: &'static str,
    },

    /// Running the schema migrations failed.
    #[error("migrations failed: {0}")]
    Migration(String),

    /// Writing migration files into a folder failed.
    #[error("cannot write migration {path}: {source}")]
    MigrationFile {
        /// The file that could not be written.
        path: std::path::PathBuf,
        /// The system's reason.
        #[source]
        source: std::io::Error,
    },

    /// Another transaction held what this one needed: a deadlock (the server rolled this
    /// transaction back), a lock wait that timed out, or a serialization failure. Running the
    /// whole transaction again may succeed; loggable does so itself for the transactions it
    /// opens, on a deadlock or a serialization failure.
    #[error("database contention ({kind}) while {context}: {source}")]
    Contention {
        /// What loggable was doing.
        context: &'static str,
        /// Which kind of contention.
        kind: Contention,
        /// The driver's error.
        #[source]
        source: diesel::result::Error,
    },

    /// A statement with its values was larger than the server accepts (MySQL's
    /// `max_allowed_packet`): an entry whose data is that large cannot be stored there.
    #[error("a statement too large for the server while {context}: {source}")]
    StatementTooLarge {
        /// What loggable was doing.
        context: &'static str,
        /// The driver's error.
        #[source]
        source: diesel::result::Error,
    },

    /// A database statement failed; `context` says what loggable was doing.
    #[error("database error while {context}: {source}")]
    Database {
        /// What loggable was doing.
        context: &'static str,
        /// The driver's error.
        #[source]
        source: diesel::result::Error,
    },
}

/// What a transaction met in another: see [`Error::Contention`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Contention {
    /// A deadlock: the server rolled this transaction back to let another go on.
    Deadlock,
    /// A lock was waited for longer than the server allows (MySQL's
    /// `innodb_lock_wait_timeout`, PostgreSQL's `lock_timeout`).
    LockWaitTimeout,
    /// The transaction could not be serialized with a concurrent one.
    SerializationFailure,
}

impl fmt::Display for Contention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Deadlock => "deadlock",
            Self::LockWaitTimeout => "lock wait timeout",
            Self::SerializationFailure => "serialization failure",
        })
    }
}

impl Error {
    /// A failed statement's error, with what loggable was doing: contention and oversized
    /// statements get variants of their own.
    pub(crate) fn database(context: &'static str, source: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as Diesel};
        let Diesel::DatabaseError(kind, info) = &source else {
            return Self::Database { context, source };
        };
        // Diesel gives MySQL's error numbers no kinds of their own (but 1213, a deadlock, as a
        // serialization failure), nor PostgreSQL's deadlock and lock timeout: the servers'
        // fixed texts tell them apart. Only errors Diesel left unclassified are read, and only
        // by how the server's text starts: a value quoted later in a message (a duplicate key
        // named "deadlock") never decides.
        if !matches!(
            kind,
            DatabaseErrorKind::Unknown | DatabaseErrorKind::SerializationFailure
        ) {
            return Self::Database { context, source };
        }
        let message = info.message().to_ascii_lowercase();
        let starts = |texts: &[&str]| texts.iter().any(|text| message.starts_with(text));
        let contention = if starts(&["deadlock found", "deadlock detected"]) {
            Some(Contention::Deadlock)
        } else if matches!(kind, DatabaseErrorKind::SerializationFailure) {
            Some(Contention::SerializationFailure)
        } else if starts(&[
            "lock wait timeout exceeded",
            "canceling statement due to lock timeout",
        ]) {
            Some(Contention::LockWaitTimeout)
        } else {
            None
        };
        match contention {
            Some(kind) => Self::Contention {
                context,
                kind,
                source,
            },
            None if starts(&[
                // The server's text (1153), then the client library's (2020).
                "got a packet bigger than 'max_allowed_packet'",
                "got packet bigger than 'max_allowed_packet'",
                "parameter of prepared statement which is set through mysql_send_long_data() is longer than 'max_allowed_packet'",
            ]) =>
            {
                Self::StatementTooLarge { context, source }
            }
            None => Self::Database { context, source },
        }
    }

    /// Whether running the whole transaction again may succeed: a deadlock or a
    /// serialization failure, after which the server has rolled the transaction back.
    pub(crate) fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Contention {
                kind: Contention::Deadlock | Contention::SerializationFailure,
                ..
            }
        )
    }

    /// Whether the connection to the database was lost (the server went away or the
    /// connection broke): an outage rather than a failed statement.
    pub fn is_connection_lost(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error as Diesel};
        match self {
            Self::Connection { .. } => true,
            Self::Database {
                source: Diesel::DatabaseError(kind, info),
                ..
            } => match kind {
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                    true
                }
                // MySQL's 2006 and 2013, which Diesel gives no kind: the client library's texts.
                DatabaseErrorKind::Unknown => {
                    let message = info.message().to_ascii_lowercase();
                    [
                        "mysql server has gone away",
                        "server has gone away",
                        "lost connection to",
                    ]
                    .iter()
                    .any(|text| message.starts_with(text))
                }
                _ => false,
            },
            _ => false,
        }
    }
}

/// The JSON kind of a value that was not the object loggable expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    /// `null`
    Null,
    /// `true` or `false`
    Bool,
    /// a number
    Number,
    /// a string
    String,
    /// an array
    Array,
}

impl JsonKind {
    pub(crate) fn of(value: &serde_json::Value) -> Option<Self> {
        match value {
            serde_json::Value::Null => Some(Self::Null),
            serde_json::Value::Bool(_) => Some(Self::Bool),
            serde_json::Value::Number(_) => Some(Self::Number),
            serde_json::Value::String(_) => Some(Self::String),
            serde_json::Value::Array(_) => Some(Self::Array),
            serde_json::Value::Object(_) => None,
        }
    }
}

impl fmt::Display for JsonKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Null => "null",
            Self::Bool => "a boolean",
            Self::Number => "a number",
            Self::String => "a string",
            Self::Array => "an array",
        })
    }
}

/// Result with loggable's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attaches what loggable was doing to a Diesel error.
pub(crate) trait DatabaseContext<T> {
    fn context(self, context: &'static str) -> Result<T>;
}

impl<T> DatabaseContext<T> for diesel::QueryResult<T> {
    fn context(self, context: &'static str) -> Result<T> {
        self.map_err(|source| Error::database(context, source))
    }
}

/// Lets Diesel's `transaction` roll back on loggable errors; statements inside a transaction
/// attach their own context with `DatabaseContext`, so this only covers BEGIN and COMMIT.
impl From<diesel::result::Error> for Error {
    fn from(source: diesel::result::Error) -> Self {
        Error::database("running a transaction", source)
    }
}

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error as Diesel};

    use super::{Contention, Error};

    fn classified(kind: DatabaseErrorKind, message: &str) -> Error {
        Error::database(
            "testing",
            Diesel::DatabaseError(kind, Box::new(message.to_owned())),
        )
    }

    /// The servers' own messages (MariaDB 10.11, MySQL 8, PostgreSQL 15) as Diesel reports them.
    #[test]
    fn contention_and_oversized_statements_are_told_apart_on_every_server() {
        use DatabaseErrorKind::{SerializationFailure, Unknown};
        let contention = [
            (
                SerializationFailure,
                "Deadlock found when trying to get lock; try restarting transaction",
                Contention::Deadlock,
            ),
            (Unknown, "deadlock detected", Contention::Deadlock),
            (
                Unknown,
                "Lock wait timeout exceeded; try restarting transaction",
                Contention::LockWaitTimeout,
            ),
            (
                Unknown,
                "canceling statement due to lock timeout",
                Contention::LockWaitTimeout,
            ),
            (
                SerializationFailure,
                "could not serialize access due to concurrent update",
                Contention::SerializationFailure,
            ),
        ];
        for (kind, message, expected) in contention {
            let error = classified(kind, message);
            assert!(
                matches!(error, Error::Contention { kind, .. } if kind == expected),
                "{message}: {error:?}"
            );
            assert_eq!(
                error.is_retryable(),
                expected != Contention::LockWaitTimeout,
                "{message}"
            );
        }
        for message in [
            "Got a packet bigger than 'max_allowed_packet' bytes",
            "Got packet bigger than 'max_allowed_packet' bytes",
            "Parameter of prepared statement which is set through mysql_send_long_data() is longer than 'max_allowed_packet' bytes",
        ] {
            assert!(
                matches!(
                    classified(Unknown, message),
                    Error::StatementTooLarge { .. }
                ),
                "{message}"
            );
        }
        // A value quoted in a message decides nothing.
        for (kind, message) in [
            (
                DatabaseErrorKind::UniqueViolation,
                "Duplicate entry 'deadlock found' for key 'name'",
            ),
            (
                Unknown,
                "Data too long for column 'label': 'lost connection to server'",
            ),
            (
                Unknown,
                "Incorrect value 'deadlock detected' for column 'x'",
            ),
        ] {
            let other = classified(kind, message);
            assert!(matches!(other, Error::Database { .. }), "{message}");
            assert!(
                !other.is_retryable() && !other.is_connection_lost(),
                "{message}"
            );
        }
    }

    #[test]
    fn a_lost_connection_is_told_apart_from_a_failed_statement() {
        for message in [
            "MySQL server has gone away",
            "Server has gone away",
            "Lost connection to server during query",
            "Lost connection to MySQL server during query",
        ] {
            assert!(
                classified(DatabaseErrorKind::Unknown, message).is_connection_lost(),
                "{message}"
            );
        }
        let closed = classified(
            DatabaseErrorKind::ClosedConnection,
            "server closed the connection",
        );
        assert!(closed.is_connection_lost());
        assert!(!classified(DatabaseErrorKind::Unknown, "syntax error").is_connection_lost());
    }
}
