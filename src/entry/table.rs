//! What loggable knows of a log table: its name, its object column and how that column stores
//! ids. The reads and writes of every table are written once over this description
//! (`read.rs`, `write.rs`); [`log_table!`](crate::log_table) declares one for an application's
//! own table.

use diesel::backend::Backend;
use diesel::query_builder::AstPass;
use diesel::result::QueryResult;

use crate::error::{Error, Result};

/// How a log table's object column stores an object's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKeyKind {
    /// A `BigInt` column.
    Integer,
    /// A `Text` column.
    Text,
}

/// A Rust type a log table's object column is read as (see [`log_table!`](crate::log_table)).
#[diagnostic::on_unimplemented(
    message = "a log table's object column is read as `i64` (a `BigInt` column) or `String` (a `Text` column), not `{Self}`",
    label = "write `i64` or `String` here"
)]
pub trait ObjectKey {
    /// How the column stores it.
    const KIND: ObjectKeyKind;
}

impl ObjectKey for i64 {
    const KIND: ObjectKeyKind = ObjectKeyKind::Integer;
}

impl ObjectKey for String {
    const KIND: ObjectKeyKind = ObjectKeyKind::Text;
}

/// A log table: the columns of docs/entries.md plus an object column.
///
/// Declare one for an application's own table with [`log_table!`](crate::log_table) and
/// register it for a model with
/// [`ModelType::log_table`](crate::registry::ModelType::log_table). A table known only at run
/// time is described with [`LogTable::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LogTable {
    name: &'static str,
    object_column: &'static str,
    object_key: ObjectKeyKind,
    match_content_type: bool,
}

/// The page log table, `loggable_page_log_entries`. A page's entries are its own whatever
/// specific type it had when each was written, so reading one page's entries ignores the type.
pub const PAGE_LOG: LogTable =
    LogTable::new(super::PAGE_LOG_TABLE, "page_id", ObjectKeyKind::Integer).any_type_per_object();

/// The generic log table, `loggable_model_log_entries`, for every model without a table of
/// its own.
pub const MODEL_LOG: LogTable =
    LogTable::new(super::MODEL_LOG_TABLE, "object_id", ObjectKeyKind::Text);

impl LogTable {
    /// The table `name`, whose object column is `object_column`. Both are SQL identifiers,
    /// fixed by the program: they are written into statements (quoted), never bound.
    ///
    /// ```
    /// use loggable::entry::{LogTable, ObjectKeyKind};
    ///
    /// let sprockets = LogTable::new("sprocket_log_entries", "sprocket_id", ObjectKeyKind::Integer);
    /// assert_eq!(sprockets.check_object_id("007")?, "7");
    /// assert!(sprockets.check_object_id("seven").is_err());
    /// # Ok::<(), loggable::Error>(())
    /// ```
    pub const fn new(
        name: &'static str,
        object_column: &'static str,
        object_key: ObjectKeyKind,
    ) -> Self {
        Self {
            name,
            object_column,
            object_key,
            match_content_type: true,
        }
    }

    /// Reading one object's entries ignores their type: for a table whose objects change
    /// type (pages take their specific type).
    pub const fn any_type_per_object(mut self) -> Self {
        self.match_content_type = false;
        self
    }

    /// The table's name as SQL knows it, schema-qualified if it was declared so
    /// (`audit.sprocket_log_entries`): what identifies the table to loggable (registry, hash
    /// chain, the database's list of log tables).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The object column's name.
    pub const fn object_column(&self) -> &'static str {
        self.object_column
    }

    /// How the object column stores ids.
    pub fn object_key(&self) -> ObjectKeyKind {
        self.object_key
    }

    /// Whether reading one object's entries also matches their type.
    pub(crate) fn matches_content_type(&self) -> bool {
        self.match_content_type
    }

    /// Checks that `object_id` fits the object column (e.g. is an integer for `page_id`) and
    /// returns it as the column stores it (`"007"` becomes `"7"`), so an entry's id reads
    /// back, hashes and groups the same however it was written.
    pub fn check_object_id(&self, object_id: &str) -> Result<String> {
        match self.object_key {
            ObjectKeyKind::Text => Ok(object_id.to_owned()),
            ObjectKeyKind::Integer => self.integer_id(object_id).map(|id| id.to_string()),
        }
    }

    /// `object_id` as an integer object column stores it, or the error naming this table.
    pub(crate) fn integer_id(&self, object_id: &str) -> Result<i64> {
        object_id
            .parse::<i64>()
            .map_err(|e| Error::InvalidObjectId {
                object_id: object_id.to_owned(),
                table: self.name,
                reason: e.to_string(),
            })
    }
}

/// Declares a log table: an application's own Diesel table with the log columns and one
/// object column.
///
/// The table needs the columns `id`, `content_type`, `label`, `action`, `data`, `timestamp`,
/// `uuid`, `user_id`, `revision_id`, `content_changed`, `deleted` with the types of the
/// generic table (docs/entries.md), plus the object column (`BigInt` read as `i64`, or `Text`
/// read as `String`). Name the table as a module in scope (`use crate::schema::sprocket_log_entries;`).
/// The macro checks that every column exists; it declares a constant
/// [`LogTable`](crate::entry::LogTable) and nothing else.
///
/// ```
/// diesel::table! {
///     sprocket_log_entries (id) {
///         id -> BigInt,
///         content_type -> Nullable<Text>,
///         label -> Text,
///         action -> Text,
///         data -> Text,
///         timestamp -> Timestamp,
///         uuid -> Nullable<Text>,
///         user_id -> Nullable<Text>,
///         revision_id -> Nullable<BigInt>,
///         content_changed -> Bool,
///         deleted -> Bool,
///         sprocket_id -> BigInt,
///     }
/// }
///
/// loggable::log_table! {
///     /// Where sprocket entries go.
///     pub const SPROCKET_LOG = sprocket_log_entries(sprocket_id: i64);
/// }
///
/// assert_eq!(SPROCKET_LOG.name(), "sprocket_log_entries");
/// assert_eq!(SPROCKET_LOG.object_column(), "sprocket_id");
/// ```
///
/// A table in another schema, or whose SQL name is not its module's, is declared the way
/// Diesel's `table!` declares it: `schema.table`, and a `#[sql_name = "..."]` attribute. loggable then knows it by that qualified name.
///
/// ```
/// mod schema {
///     diesel::table! {
///         #[sql_name = "sprocket_audit"]
///         audit.sprocket_log (id) {
///             id -> BigInt,
///             content_type -> Nullable<Text>,
///             label -> Text,
///             action -> Text,
///             data -> Text,
///             timestamp -> Timestamp,
///             uuid -> Nullable<Text>,
///             user_id -> Nullable<Text>,
///             revision_id -> Nullable<BigInt>,
///             content_changed -> Bool,
///             deleted -> Bool,
///             #[sql_name = "sprocket"]
///             sprocket_id -> BigInt,
///         }
///     }
/// }
/// use schema::sprocket_log;
///
/// loggable::log_table! {
///     #[sql_name = "sprocket_audit"]
///     pub const SPROCKET_LOG = audit.sprocket_log(sprocket_id: i64);
/// }
///
/// assert_eq!(SPROCKET_LOG.name(), "audit.sprocket_audit");
/// assert_eq!(SPROCKET_LOG.object_column(), "sprocket");
/// ```
#[macro_export]
macro_rules! log_table {
    // Attributes, one at a time: `sql_name` is kept apart, the others stay on the constant.
    (@attrs [$($meta:tt)*] [$($sql:tt)*] #[sql_name = $sql_name:literal] $($rest:tt)*) => {
        $crate::log_table!(@attrs [$($meta)*] [$sql_name] $($rest)*);
    };
    (@attrs [$($meta:tt)*] [$($sql:tt)*] #[$attr:meta] $($rest:tt)*) => {
        $crate::log_table!(@attrs [$($meta)* #[$attr]] [$($sql)*] $($rest)*);
    };
    (
        @attrs [$($meta:tt)*] [$sql_name:literal]
        $vis:vis const $name:ident = $schema:ident . $table:ident($object_column:ident: $object_type:ty);
    ) => {
        $crate::log_table!(@declare [$($meta)*] $vis $name, $table, $object_column, $object_type,
            ::core::concat!(::core::stringify!($schema), ".", $sql_name));
    };
    (
        @attrs [$($meta:tt)*] [$sql_name:literal]
        $vis:vis const $name:ident = $table:ident($object_column:ident: $object_type:ty);
    ) => {
        $crate::log_table!(@declare [$($meta)*] $vis $name, $table, $object_column, $object_type,
            $sql_name);
    };
    (
        @attrs [$($meta:tt)*] []
        $vis:vis const $name:ident = $schema:ident . $table:ident($object_column:ident: $object_type:ty);
    ) => {
        $crate::log_table!(@declare [$($meta)*] $vis $name, $table, $object_column, $object_type,
            ::core::concat!(::core::stringify!($schema), ".", ::core::stringify!($table)));
    };
    (
        @attrs [$($meta:tt)*] []
        $vis:vis const $name:ident = $table:ident($object_column:ident: $object_type:ty);
    ) => {
        $crate::log_table!(@declare [$($meta)*] $vis $name, $table, $object_column, $object_type,
            ::core::stringify!($table));
    };
    (
        @declare [$($meta:tt)*] $vis:vis $name:ident, $table:ident, $object_column:ident,
        $object_type:ty, $sql_name:expr
    ) => {
        $($meta)*
        $vis const $name: $crate::entry::LogTable = {
            // Names every column once, so a missing one is a compile error here.
            let _ = (
                $table::table,
                $table::id,
                $table::content_type,
                $table::label,
                $table::action,
                $table::data,
                $table::timestamp,
                $table::uuid,
                $table::user_id,
                $table::revision_id,
                $table::content_changed,
                $table::deleted,
                $table::$object_column,
            );
            $crate::entry::LogTable::new(
                $sql_name,
                <$table::$object_column as ::diesel::Column>::NAME,
                <$object_type as $crate::entry::ObjectKey>::KIND,
            )
        };
    };
    ($($input:tt)*) => {
        $crate::log_table!(@attrs [] [] $($input)*);
    };
}

/// `name` (a table, `schema.table`, or a column) as SQL text in double quotes, each part on
/// its own (`"schema"."table"`), so case and odd characters survive: for raw SQL text that
/// names a table outside [`push_table_name`]'s reach (a bound value, a condition's text).
pub(super) fn quoted_name(name: &str) -> String {
    name.split('.')
        .map(|part| format!("\"{}\"", part.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(".")
}

/// Writes a table name into a statement, quoted, a schema-qualified one (`schema.table`) as
/// two identifiers.
pub(super) fn push_table_name<DB: Backend>(
    out: &mut AstPass<'_, '_, DB>,
    name: &str,
) -> QueryResult<()> {
    if let Some((schema, table)) = name.split_once('.') {
        out.push_identifier(schema)?;
        out.push_sql(".");
        out.push_identifier(table)
    } else {
        out.push_identifier(name)
    }
}
