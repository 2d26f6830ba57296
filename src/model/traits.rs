//! The traits `#[derive(Loggable)]` implements for a model: what it is ([`Registered`],
//! [`Model`]) and the statements it runs on a connection ([`ModelStore`] and its companions).
//! Applications call the operations built on them through [`Lifecycle`](super::Lifecycle)
//! and its siblings, never these directly.

use diesel::QueryResult;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{DraftState, LockState};
use crate::object::Loggable;
use crate::registry::ModelType;

/// What the registry knows of a derived type; `#[derive(Loggable)]` implements it.
pub trait Registered {
    /// The type name its entries record.
    const CONTENT_TYPE: &'static str;

    /// Its registration: register it at start-up with
    /// [`register_model`](crate::register_model).
    fn model_type() -> ModelType;
}

/// A derived model with a Diesel table: its key, and how its versions compare.
/// `#[derive(Loggable)]` implements it; every lifecycle operation is built on it and
/// [`ModelStore`].
pub trait Model: Loggable + Registered + Sized {
    /// The primary key type.
    type Key: Clone + ToString + std::str::FromStr;

    /// The primary key.
    fn key(&self) -> Self::Key;

    /// The fields that differ between `old` and `new` (skipped fields left out).
    fn field_changes(old: &Self, new: &Self) -> FieldChanges;

    /// The published title the rename rule compares (default: the entry title).
    fn live_title(&self) -> Option<String> {
        self.log_title()
    }

    /// What a revision stores, when the model keeps revisions.
    fn revision_content(&self) -> Option<RevisionContent> {
        None
    }

    /// The draft-state columns, when the model has them.
    fn draft_state(&self) -> Option<DraftState> {
        None
    }

    /// The lock columns, when the model is lockable.
    fn lock_state(&self) -> Option<LockState> {
        None
    }
}

/// The statements a derived model runs on a connection of type `C`; `#[derive(Loggable)]`
/// implements it for every connection the model's statements compile for (a model with
/// PostgreSQL-only column types, for `PgConnection` and what wraps one).
#[diagnostic::on_unimplemented(
    message = "`{Self}`'s statements do not compile for the connection `{C}`",
    label = "no statements of `{Self}` for `{C}`",
    note = "derive Diesel's `Queryable` (and `Selectable`) on `{Self}`, with its fields in the table's column order and of the columns' types",
    note = "a model with backend-only column types (JSONB, UUID, ...) runs only on that backend's connection"
)]
pub trait ModelStore<C: ?Sized>: Model {
    /// The stored row with `key`.
    fn find(conn: &mut C, key: &Self::Key) -> QueryResult<Option<Self>>;

    /// The stored rows with these keys.
    fn find_many(conn: &mut C, keys: &[Self::Key]) -> QueryResult<Vec<Self>>;

    /// Writes every column of `self` to its row; returns the rows changed.
    fn save_row(&self, conn: &mut C) -> QueryResult<usize>;

    /// [`save_row`](Self::save_row)'s UPDATE returning the key, for the library to run
    /// together with the entry's INSERT as one statement on PostgreSQL; `None` (the default)
    /// where the statement does not compile for PostgreSQL.
    #[cfg(feature = "postgres")]
    #[doc(hidden)]
    fn postgres_save(&self) -> Option<super::PostgresStatement<'_>> {
        None
    }

    /// Deletes the rows with these keys; returns how many went.
    fn delete_rows(conn: &mut C, keys: &[Self::Key]) -> QueryResult<usize>;

    /// Records `revision_id` as the row's latest revision (draft-state models; others keep no
    /// such column).
    fn record_latest_revision(
        _conn: &mut C,
        _key: &Self::Key,
        _revision_id: i64,
    ) -> QueryResult<()> {
        Ok(())
    }
}

/// A model whose rows are deleted one by one with their entry (not one that deletes its own
/// way, like a page with its subtree): `#[derive(Loggable)]` implements it unless the model
/// says `custom_delete`.
pub trait Deletable: Model {}

/// The rows of a model that match a Diesel filter `F`, read on a connection of type `C`.
pub trait FilterRows<C: ?Sized, F>: ModelStore<C> {
    /// The rows matching `filter`.
    fn load_matching(conn: &mut C, filter: F) -> QueryResult<Vec<Self>>;
}

/// A set-based UPDATE of a model's rows with Diesel changes `U`, on a connection of type `C`.
pub trait ChangeRows<C: ?Sized, U>: ModelStore<C> {
    /// Applies `changes` to the rows with these keys with one UPDATE; returns the rows
    /// changed.
    fn change_rows(conn: &mut C, keys: &[Self::Key], changes: U) -> QueryResult<usize>;
}

/// An insertable that creates a row of `M` on a connection of type `C`; `#[derive(Loggable)]`
/// implements it for `&T` of the model's `new = T` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not create rows of `{M}` on the connection `{C}`",
    note = "name the insertable in the model's attribute: #[loggable(new = NewType)] (`NewType<'_>` when it has a lifetime), and pass it by reference"
)]
pub trait NewRow<C: ?Sized, M> {
    /// Inserts the row and returns it as stored.
    fn insert_row(self, conn: &mut C) -> QueryResult<M>;
}

/// The `data.changes` of an edit: `{"field": [old, new]}` for each field that differs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldChanges(Map<String, Value>);

impl FieldChanges {
    /// No changes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `name` as `[old, new]` when the two differ.
    pub fn compare<T: PartialEq + Serialize + ?Sized>(&mut self, name: &str, old: &T, new: &T) {
        if old != new {
            let value = |v: &T| serde_json::to_value(v).unwrap_or(Value::Null);
            self.0
                .insert(name.to_owned(), Value::Array(vec![value(old), value(new)]));
        }
    }

    /// Records a datetime field like [`compare`](Self::compare), its values in the one form
    /// every datetime in `data` has: UTC, milliseconds, `Z` (`2024-05-06T03:00:00.000Z`).
    /// `#[derive(Loggable)]` uses it for `NaiveDateTime` and `DateTime` fields (and their
    /// `Option`s); a naive datetime is taken as UTC.
    pub fn compare_datetime<T: PartialEq + Serialize + ?Sized>(
        &mut self,
        name: &str,
        old: &T,
        new: &T,
    ) {
        if old != new {
            let value = |v: &T| data_datetime_value(serde_json::to_value(v).unwrap_or(Value::Null));
            self.0
                .insert(name.to_owned(), Value::Array(vec![value(old), value(new)]));
        }
    }

    /// Records that `name` changed, as `["[redacted]", "[redacted]"]`, never its values.
    pub fn compare_redacted<T: PartialEq + ?Sized>(&mut self, name: &str, old: &T, new: &T) {
        if old != new {
            let hidden = Value::String("[redacted]".to_owned());
            self.0
                .insert(name.to_owned(), Value::Array(vec![hidden.clone(), hidden]));
        }
    }

    /// Whether no field differs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The changes as the entry's `data.changes` object.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }
}

/// What a revision stores of a model: its JSON.
#[derive(Debug)]
pub struct RevisionContent(pub(crate) serde_json::Result<Value>);

impl RevisionContent {
    /// The content of `row`, serialized with serde.
    pub fn of<T: Serialize + ?Sized>(row: &T) -> Self {
        Self(serde_json::to_value(row))
    }
}

/// A serialized datetime in `data`'s form; anything else (`null` for `None`) as it is.
fn data_datetime_value(value: Value) -> Value {
    let Value::String(text) = value else {
        return value;
    };
    let at = chrono::DateTime::parse_from_rfc3339(&text)
        .map(|at| at.to_utc())
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|at| at.and_utc())
        });
    Value::String(at.map_or(text, crate::registry::data_datetime))
}
