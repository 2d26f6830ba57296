//! The acting user as entries store it: the application's own user key, as text.

use std::fmt;
use std::sync::Arc;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use uuid::Uuid;

/// The key of the user who acted, in the application's own users table: an integer or a
/// UUID (or any text key), stored as its canonical text. Cheap to clone (shared). No foreign key ties it to a table
/// loggable owns, so entries outlive the users they name (Wagtail does the same).
///
/// ```
/// use loggable::UserId;
///
/// assert_eq!(UserId::from(7).as_str(), "7");
/// let uuid = uuid::Uuid::nil();
/// assert_eq!(UserId::from(uuid).as_str(), "00000000-0000-0000-0000-000000000000");
/// assert_eq!(UserId::from(7).as_i64(), Some(7));
/// assert_eq!(UserId::from(uuid).as_uuid(), Some(uuid));
/// ```
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = Text)]
pub struct UserId(Arc<str>);

impl serde::Serialize for UserId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for UserId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

impl<DB: Backend> FromSql<Text, DB> for UserId
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        String::from_sql(bytes).map(Self::from)
    }
}

impl<DB: Backend> ToSql<Text, DB> for UserId
where
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        (*self.0).to_sql(out)
    }
}

impl UserId {
    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as an integer, when it is one.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The key as a UUID, when it is one.
    pub fn as_uuid(&self) -> Option<Uuid> {
        Uuid::parse_str(&self.0).ok()
    }

    /// The key, as stored, given back by the database.
    pub(crate) fn stored(text: String) -> Self {
        Self::from(text)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! user_id_from_integer {
    ($($integer:ty),*) => {$(
        impl From<$integer> for UserId {
            fn from(key: $integer) -> Self {
                Self(Arc::from(key.to_string()))
            }
        }
    )*};
}
user_id_from_integer!(i32, i64, u32, u64);

impl From<Uuid> for UserId {
    /// The hyphenated lower-case form, whatever form the UUID was parsed from.
    fn from(key: Uuid) -> Self {
        Self(Arc::from(key.hyphenated().to_string()))
    }
}

impl From<&str> for UserId {
    fn from(key: &str) -> Self {
        Self(Arc::from(key))
    }
}

impl From<String> for UserId {
    fn from(key: String) -> Self {
        Self(Arc::from(key))
    }
}

/// A user-key type of the application's own tables (a lockable model's `locked_by` field):
/// what a [`UserId`] becomes in that column, and back.
pub trait UserKey: Sized {
    /// The key as entries store it.
    fn to_user_id(&self) -> UserId;

    /// The key `id` names, or `None` when it does not fit this type (a UUID for an integer
    /// column, say).
    fn from_user_id(id: &UserId) -> Option<Self>;
}

macro_rules! user_key_integer {
    ($($integer:ty),*) => {$(
        impl UserKey for $integer {
            fn to_user_id(&self) -> UserId {
                UserId::from(*self)
            }

            fn from_user_id(id: &UserId) -> Option<Self> {
                id.as_str().parse().ok()
            }
        }
    )*};
}
user_key_integer!(i32, i64);

impl UserKey for Uuid {
    fn to_user_id(&self) -> UserId {
        UserId::from(*self)
    }

    fn from_user_id(id: &UserId) -> Option<Self> {
        id.as_uuid()
    }
}

impl UserKey for String {
    fn to_user_id(&self) -> UserId {
        UserId::from(self.as_str())
    }

    fn from_user_id(id: &UserId) -> Option<Self> {
        Some(id.as_str().to_owned())
    }
}
