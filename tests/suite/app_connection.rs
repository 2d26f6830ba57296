//! The application's own Diesel connections: plain `PgConnection` / `SqliteConnection` and
//! r2d2 pools of them, inside the application's own transactions.

use crate::tables::loggable_model_log_entries as entries;
use diesel::connection::LoadConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use loggable::db::{BackendKind, LogConnection};
use loggable::model::ModelStore;
use loggable::prelude::*;
use loggable::{LogContext, Loggable, ObjectRef, log};

use crate::common::TestDb;

diesel::table! {
    widgets (id) {
        id -> BigInt,
        name -> Text,
        locked -> Bool,
        locked_at -> Nullable<Timestamp>,
        locked_by -> Nullable<BigInt>,
    }
}

#[derive(Debug, Clone, Queryable, serde::Serialize, Loggable)]
#[diesel(table_name = widgets)]
#[loggable(content_type = "app.widget", title = name, new = NewWidget<'_>, lockable)]
struct Widget {
    id: i64,
    name: String,
    locked: bool,
    locked_at: Option<chrono::NaiveDateTime>,
    locked_by: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = widgets)]
struct NewWidget<'a> {
    name: &'a str,
}

const WIDGETS_SQLITE: &str = "CREATE TABLE widgets (id INTEGER PRIMARY KEY AUTOINCREMENT, \
     name TEXT NOT NULL, locked BOOLEAN NOT NULL DEFAULT 0, locked_at TIMESTAMP, locked_by BIGINT)";
const WIDGETS_POSTGRES: &str = "CREATE TABLE widgets (id BIGSERIAL PRIMARY KEY, \
     name TEXT NOT NULL, locked BOOLEAN NOT NULL DEFAULT FALSE, locked_at TIMESTAMP, locked_by BIGINT)";
#[cfg(feature = "mysql")]
const WIDGETS_MYSQL: &str = "CREATE TABLE widgets (id BIGINT AUTO_INCREMENT PRIMARY KEY, \
     name TEXT NOT NULL, locked BOOLEAN NOT NULL DEFAULT FALSE, locked_at DATETIME(6), \
     locked_by BIGINT)";

/// Create, lock, update and a hand-written entry inside the caller's transaction, which it
/// then rolls back: neither the rows nor the entries remain.
fn rolled_back<C>(conn: &mut C)
where
    C: Connection + LoadConnection + LogConnection,
    Widget: loggable::model::Lockable<C> + ModelStore<C>,
    for<'a> &'a NewWidget<'a>: loggable::model::NewRow<C, Widget>,
    diesel::dsl::Select<widgets::table, diesel::dsl::CountStar>:
        diesel::query_dsl::LoadQuery<'static, C, i64>,
    diesel::dsl::Select<entries::table, diesel::dsl::CountStar>:
        diesel::query_dsl::LoadQuery<'static, C, i64>,
{
    let inside = LogContext::new(Some(4)).scope(|| {
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            let widget =
                Widget::create(conn, &NewWidget { name: "Flange" }, &Default::default()).unwrap();
            let locked = widget.lock(conn, 4, &Default::default()).unwrap();
            let mut renamed = locked.clone();
            renamed.name = "Flange II".to_owned();
            renamed
                .update(conn, &loggable::model::LogOptions::new().user(4))
                .unwrap();
            log(&ObjectRef::new("app.other", 1), "wagtail.edit")
                .write(conn)
                .unwrap();
            let inside = (
                widgets::table.count().get_result::<i64>(conn)?,
                entries::table.count().get_result::<i64>(conn)?,
            );
            // The transaction sees its row and its four entries (create, lock, edit, the
            // hand-written one) before it is rolled back.
            assert_eq!(inside, (1, 4));
            Err::<(), _>(diesel::result::Error::RollbackTransaction)
        })
    });
    assert!(
        matches!(inside, Err(diesel::result::Error::RollbackTransaction)),
        "{inside:?}"
    );
    let widgets: i64 = widgets::table.count().get_result(conn).unwrap();
    let logged: i64 = entries::table.count().get_result(conn).unwrap();
    assert_eq!((widgets, logged), (0, 0));
}

#[test]
fn a_rolled_back_caller_transaction_leaves_neither_change_nor_entry() {
    let db = TestDb::new();
    match db.backend() {
        BackendKind::Sqlite => {
            let mut conn = SqliteConnection::establish(":memory:").unwrap();
            loggable::db::run_migrations(&mut conn).unwrap();
            diesel::sql_query(WIDGETS_SQLITE)
                .execute(&mut conn)
                .unwrap();
            rolled_back(&mut conn);
        }
        BackendKind::Postgresql => {
            let mut conn = PgConnection::establish(db.url()).unwrap();
            diesel::sql_query(WIDGETS_POSTGRES)
                .execute(&mut conn)
                .unwrap();
            rolled_back(&mut conn);
        }
        #[cfg(feature = "mysql")]
        BackendKind::Mysql => {
            let mut conn = MysqlConnection::establish(db.url()).unwrap();
            diesel::sql_query(WIDGETS_MYSQL).execute(&mut conn).unwrap();
            rolled_back(&mut conn);
        }
        #[allow(unreachable_patterns)]
        _ => unreachable!("a backend the suite is not built with"),
    }
}

/// The same operations, committed, through a pooled connection of the application's pool.
fn through_a_pool<C>(pool: &Pool<ConnectionManager<C>>)
where
    C: Connection + LoadConnection + LogConnection + diesel::r2d2::R2D2Connection + 'static,
    Widget: loggable::model::Lockable<diesel::r2d2::PooledConnection<ConnectionManager<C>>>,
    for<'a> &'a NewWidget<'a>:
        loggable::model::NewRow<diesel::r2d2::PooledConnection<ConnectionManager<C>>, Widget>,
{
    let mut conn = pool.get().unwrap();
    let widget = LogContext::new(Some(7))
        .scope(|| {
            Widget::create(
                &mut conn,
                &NewWidget { name: "Sprocket" },
                &Default::default(),
            )
        })
        .unwrap();
    widget.lock(&mut conn, 7, &Default::default()).unwrap();
    let history =
        loggable::entries_for_object(&mut conn, &loggable::registry::global(), &widget).unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["wagtail.lock", "wagtail.create"]);
    assert_eq!(history[1].user_id, Some(7.into()));
}

#[test]
fn a_pooled_connection_of_the_applications_own_pool_works() {
    let db = TestDb::new();
    match db.backend() {
        BackendKind::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = dir.path().join("pool.sqlite3").display().to_string();
            let pool = Pool::builder()
                .max_size(1)
                .build(ConnectionManager::<SqliteConnection>::new(url))
                .unwrap();
            let mut conn = pool.get().unwrap();
            loggable::db::run_migrations(&mut conn).unwrap();
            diesel::sql_query(WIDGETS_SQLITE)
                .execute(&mut conn)
                .unwrap();
            drop(conn);
            through_a_pool(&pool);
        }
        BackendKind::Postgresql => {
            let pool = Pool::builder()
                .max_size(2)
                .build(ConnectionManager::<PgConnection>::new(db.url()))
                .unwrap();
            let mut conn = pool.get().unwrap();
            diesel::sql_query(WIDGETS_POSTGRES)
                .execute(&mut conn)
                .unwrap();
            drop(conn);
            through_a_pool(&pool);
        }
        #[cfg(feature = "mysql")]
        BackendKind::Mysql => {
            let pool = Pool::builder()
                .max_size(2)
                .build(ConnectionManager::<MysqlConnection>::new(db.url()))
                .unwrap();
            let mut conn = pool.get().unwrap();
            diesel::sql_query(WIDGETS_MYSQL).execute(&mut conn).unwrap();
            drop(conn);
            through_a_pool(&pool);
        }
        #[allow(unreachable_patterns)]
        _ => unreachable!("a backend the suite is not built with"),
    }
}

/// `sslmode=require` against a server with TLS on (`.ci/run` turns it on and sets
/// `LOGGABLE_TLS_DATABASE_URL`), with the libpq the build links: loggable forces no libpq
/// build without TLS on the application.
#[test]
fn a_tls_connection_to_postgresql_logs() {
    // `.ci/run` runs this test on its own, with the system's libpq, and checks that it ran.
    let Ok(url) = std::env::var("LOGGABLE_TLS_DATABASE_URL") else {
        eprintln!("LOGGABLE_TLS_DATABASE_URL is not set: TLS not checked");
        return;
    };
    let scratch = loggable::db::IsolatedSchema::create(&url, "tls").unwrap();
    let mut conn = PgConnection::establish(scratch.url()).unwrap();
    #[derive(QueryableByName)]
    struct Ssl {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        ssl: bool,
    }
    let ssl: Ssl = diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .get_result(&mut conn)
        .unwrap();
    assert!(ssl.ssl, "the connection is not encrypted");
    loggable::db::run_core_migrations(&mut conn).unwrap();
    let entry = log(&ObjectRef::new("app.secret", 1), "wagtail.edit")
        .write(&mut conn)
        .unwrap();
    assert_eq!(entry.log_table, "loggable_model_log_entries");
}
