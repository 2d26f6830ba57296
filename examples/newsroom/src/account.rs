//! The newsroom's user keys: UUIDs, stored natively on PostgreSQL and as text on SQLite.

use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::sql_types::AccountKey;

/// A user of the newsroom.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = AccountKey)]
pub struct AccountId(pub Uuid);

impl AccountId {
    /// A new random key.
    pub fn random() -> Self {
        Self(Uuid::new_v4())
    }
}

impl From<AccountId> for loggable::UserId {
    fn from(id: AccountId) -> Self {
        Self::from(id.0)
    }
}

/// loggable stores the key as text in its entries and gives it back for lock columns.
impl loggable::UserKey for AccountId {
    fn to_user_id(&self) -> loggable::UserId {
        loggable::UserId::from(self.0)
    }

    fn from_user_id(id: &loggable::UserId) -> Option<Self> {
        id.as_uuid().map(Self)
    }
}

#[cfg(feature = "postgres")]
impl ToSql<AccountKey, diesel::pg::Pg> for AccountId {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::pg::Pg>) -> serialize::Result {
        <Uuid as ToSql<AccountKey, diesel::pg::Pg>>::to_sql(&self.0, out)
    }
}

#[cfg(feature = "postgres")]
impl FromSql<AccountKey, diesel::pg::Pg> for AccountId {
    fn from_sql(bytes: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        <Uuid as FromSql<AccountKey, diesel::pg::Pg>>::from_sql(bytes).map(Self)
    }
}

#[cfg(feature = "sqlite")]
impl ToSql<AccountKey, diesel::sqlite::Sqlite> for AccountId {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::sqlite::Sqlite>) -> serialize::Result {
        out.set_value(self.0.hyphenated().to_string());
        Ok(serialize::IsNull::No)
    }
}

#[cfg(feature = "sqlite")]
impl FromSql<AccountKey, diesel::sqlite::Sqlite> for AccountId {
    fn from_sql(bytes: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<AccountKey, diesel::sqlite::Sqlite>>::from_sql(bytes)?;
        Ok(Self(Uuid::parse_str(&text)?))
    }
}
