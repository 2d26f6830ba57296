//! Rebuilds when a migration is added or changed: `embed_migrations!` reads the migration
//! directories at compile time, and cargo does not watch them on its own.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=src/bin/loggable/migrations");
}
