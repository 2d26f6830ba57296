//! Running the `loggable` binary from a test.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `loggable args` in `dir`, with no `DATABASE_URL` from the environment.
pub fn loggable(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loggable"))
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run loggable")
}

/// What it printed on standard output.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What it printed on standard error.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
