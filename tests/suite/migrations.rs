//! loggable's migrations copied into an application's own `migrations/` folder and run the
//! way `diesel migration run / redo / revert` runs them (Diesel's file-based harness).

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use loggable::db::{BackendKind, Layer, migration_files, write_migrations};

use crate::common::TestDb;

/// run, redo (revert the latest, run it again), revert everything, run again.
fn run_redo_revert<C, DB>(conn: &mut C, dir: &std::path::Path, tables: impl Fn(&mut C) -> i64)
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB> + Connection<Backend = DB>,
    FileBasedMigrations: MigrationSource<DB>,
{
    let migrations = FileBasedMigrations::from_path(dir).unwrap();
    let applied = conn.run_pending_migrations(migrations.clone()).unwrap();
    assert_eq!(applied.len(), 8, "four core and four CMS migrations");
    assert_eq!(tables(conn), 24);
    // The latest three rebuild the chain's tables and drop indexes; the one before adds the
    // list of log tables.
    for expected in ["20261204000004", "20261203000104", "20261203000003"] {
        let reverted = conn.revert_last_migration(migrations.clone()).unwrap();
        assert_eq!(reverted.to_string(), expected);
        assert_eq!(tables(conn), 24);
    }
    let reverted = conn.revert_last_migration(migrations.clone()).unwrap();
    assert_eq!(reverted.to_string(), "20261202000002");
    assert_eq!(tables(conn), 23, "the list of log tables went");
    for _ in 0..4 {
        conn.run_next_migration(migrations.clone()).unwrap();
    }
    assert_eq!(tables(conn), 24);
    conn.revert_all_migrations(migrations.clone()).unwrap();
    assert_eq!(
        tables(conn),
        0,
        "reverting everything leaves no loggable_ table"
    );
    conn.run_pending_migrations(migrations).unwrap();
    assert_eq!(tables(conn), 24);
}

#[derive(QueryableByName)]
pub(crate) struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub(crate) n: i64,
}

#[test]
fn copied_migrations_run_redo_and_revert_with_diesels_own_harness() {
    let db = TestDb::unmigrated();
    let dir = tempfile::tempdir().unwrap();
    let backend = db.backend();
    let written = write_migrations(dir.path(), backend, &[Layer::Core, Layer::Cms]).unwrap();
    assert_eq!(written.len(), 8);
    // Writing again is a no-op; a folder of ours holding something else is refused whole.
    write_migrations(dir.path(), backend, &[Layer::Core, Layer::Cms]).unwrap();
    let core = migration_files(backend, &[Layer::Core]).next().unwrap();
    let up = dir.path().join(core.name).join("up.sql");
    std::fs::write(&up, "-- edited by the application\n").unwrap();
    let refused = write_migrations(dir.path(), backend, &[Layer::Core]).unwrap_err();
    assert!(
        matches!(&refused, loggable::Error::MigrationFile { path, .. } if *path == up),
        "{refused}"
    );
    assert_eq!(
        std::fs::read_to_string(&up).unwrap(),
        "-- edited by the application\n"
    );
    std::fs::write(&up, core.up).unwrap();

    match backend {
        BackendKind::Sqlite => {
            let mut conn = SqliteConnection::establish(":memory:").unwrap();
            conn.batch_execute("PRAGMA foreign_keys = ON").unwrap();
            run_redo_revert(&mut conn, dir.path(), |conn| {
                diesel::sql_query(
                    "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' \
                     AND name LIKE 'loggable_%'",
                )
                .get_result::<Count>(conn)
                .unwrap()
                .n
            });
        }
        BackendKind::Postgresql => {
            let mut conn = PgConnection::establish(db.url()).unwrap();
            run_redo_revert(&mut conn, dir.path(), |conn| {
                diesel::sql_query(
                    "SELECT COUNT(*) AS n FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_name LIKE 'loggable_%'",
                )
                .get_result::<Count>(conn)
                .unwrap()
                .n
            });
        }
        #[cfg(feature = "mysql")]
        BackendKind::Mysql => {
            let mut conn = MysqlConnection::establish(db.url()).unwrap();
            run_redo_revert(&mut conn, dir.path(), |conn| {
                diesel::sql_query(
                    "SELECT COUNT(*) AS n FROM information_schema.tables \
                     WHERE table_schema = DATABASE() AND table_name LIKE 'loggable_%'",
                )
                .get_result::<Count>(conn)
                .unwrap()
                .n
            });
        }
        #[allow(unreachable_patterns)]
        _ => unreachable!("a backend the suite is not built with"),
    }
}

#[test]
fn the_core_alone_holds_the_generic_log_and_the_hash_chain() {
    for backend in [
        BackendKind::Sqlite,
        BackendKind::Postgresql,
        BackendKind::Mysql,
    ] {
        let core: String = migration_files(backend, &[Layer::Core])
            .map(|m| m.up)
            .collect();
        for table in [
            "loggable_model_log_entries",
            "loggable_log_chain_heads",
            "loggable_log_chain",
        ] {
            assert!(
                core.contains(&format!("CREATE TABLE {table} ")),
                "{backend}: {table}"
            );
        }
        assert!(
            !core.contains("REFERENCES"),
            "{backend}: the core points at no other table"
        );
        let every: String = migration_files(backend, &[Layer::Core, Layer::Cms])
            .map(|m| m.up)
            .collect();
        for line in every
            .lines()
            .filter(|l| l.trim_start().starts_with("CREATE "))
        {
            assert!(line.contains(" loggable_"), "{backend}: {line}");
        }
    }
}
