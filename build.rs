//! Lists loggable's migration files for `db::migration_files` (which writes them into an
//! application's own migrations folder), and rebuilds when a migration is added or changed:
//! `embed_migrations!` and `include_str!` read them at compile time, and cargo does not watch
//! the folders on its own.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    let root = Path::new(&env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("migrations");
    let mut listing = String::from("&[\n");
    for (folder_name, backend) in [
        ("sqlite", "Sqlite"),
        ("postgres", "Postgresql"),
        ("mysql", "Mysql"),
    ] {
        for layer in ["core", "cms"] {
            let dir = root.join(folder_name).join(layer);
            let mut names: Vec<String> = fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|entry| entry.expect("a readable migrations folder"))
                .filter(|entry| entry.path().join("up.sql").is_file())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for name in names {
                let folder = dir.join(&name);
                println!("cargo:rerun-if-changed={}", folder.display());
                let up = folder.join("up.sql");
                let down = folder.join("down.sql");
                writeln!(
                    listing,
                    "    MigrationFile {{ backend: BackendKind::{backend}, layer: Layer::{layer}, name: {name:?}, \
                     up: include_str!({up:?}), down: include_str!({down:?}) }},",
                    layer = if layer == "core" { "Core" } else { "Cms" },
                    up = up.display().to_string(),
                    down = down.display().to_string(),
                )
                .expect("writing to a String");
            }
        }
    }
    listing.push(']');
    let out =
        Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("migration_files.rs");
    fs::write(out, listing).expect("writing the migration listing");
}
