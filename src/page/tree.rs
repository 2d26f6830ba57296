//! The page tree as materialised paths: each page's `path` is its parent's path plus a
//! fixed-width step (4 base-36 characters), `depth` counts steps, `numchild` counts children.
//! A subtree is the path range `[path, path + "~")`, which an index on `path` serves on both
//! backends (paths sort bytewise; `~` sorts after every step character).

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

use crate::db::DbConnection;
use crate::error::{DatabaseContext, Error, Result};
use crate::schema::pages;

/// Characters of one path step.
pub const STEP_LENGTH: usize = 4;
const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// The largest step number: `ZZZZ`.
pub const MAX_STEP: u32 = 36 * 36 * 36 * 36 - 1;
/// Sorts after every path character: `[path, path + SUBTREE_END)` is a subtree.
const SUBTREE_END: char = '~';

/// The path step for the `n`th child (from 1).
pub fn encode_step(n: u32) -> Result<String> {
    if n == 0 || n > MAX_STEP {
        return Err(Error::TooManyChildren { max: MAX_STEP });
    }
    let mut step = [b'0'; STEP_LENGTH];
    let mut rest = n;
    for slot in step.iter_mut().rev() {
        *slot = ALPHABET[(rest % 36) as usize];
        rest /= 36;
    }
    Ok(step.iter().map(|&b| b as char).collect())
}

/// The number of a path step, if it is one.
pub fn decode_step(step: &str) -> Option<u32> {
    if step.len() != STEP_LENGTH {
        return None;
    }
    step.bytes().try_fold(0_u32, |n, b| {
        let digit = ALPHABET.iter().position(|&a| a == b)?;
        Some(n * 36 + digit as u32)
    })
}

/// The paths of every ancestor of `path`, root first.
pub fn ancestor_paths(path: &str) -> Vec<String> {
    (1..path.len() / STEP_LENGTH)
        .filter_map(|steps| path.get(..steps * STEP_LENGTH).map(str::to_owned))
        .collect()
}

/// The parent's path, or `None` for a root.
pub fn parent_path(path: &str) -> Option<&str> {
    path.len()
        .checked_sub(STEP_LENGTH)
        .filter(|end| *end > 0)
        .and_then(|end| path.get(..end))
}

/// The number of the last step of `path`, or `None` for a malformed path.
pub fn last_step(path: &str) -> Option<u32> {
    path.len()
        .checked_sub(STEP_LENGTH)
        .and_then(|start| path.get(start..))
        .and_then(decode_step)
}

pub(crate) fn subtree_end(path: &str) -> String {
    format!("{path}{SUBTREE_END}")
}

diesel::define_sql_function! {
    /// SQL `substr(text, start)`: the same on SQLite, PostgreSQL and MySQL.
    fn substr(text: Text, start: Integer) -> Text;
}

/// The next free child path under `parent_path` (`""` for roots): one step after the last.
pub(crate) fn next_child_path(
    conn: &mut DbConnection,
    parent_path: &str,
    depth: i32,
) -> Result<String> {
    let last: Option<String> = pages::table
        .filter(pages::depth.eq(depth))
        .filter(pages::path.gt(parent_path))
        .filter(pages::path.lt(subtree_end(parent_path)))
        .select(diesel::dsl::max(pages::path))
        .first(conn)
        .context("finding the last child")?;
    let next = match last {
        Some(path) => {
            last_step(&path).ok_or_else(|| Error::MalformedPagePath {
                path: path.to_owned(),
            })? + 1
        }
        None => 1,
    };
    Ok(format!("{parent_path}{}", encode_step(next)?))
}

/// Moves the subtree at `from` to `to`, shifting depths by `depth_delta`.
pub(crate) fn rewrite_subtree(
    conn: &mut DbConnection,
    from: &str,
    to: &str,
    depth_delta: i32,
) -> Result<usize> {
    let keep_from = i32::try_from(from.len() + 1).unwrap_or(i32::MAX);
    diesel::update(
        pages::table
            .filter(pages::path.ge(from))
            .filter(pages::path.lt(subtree_end(from))),
    )
    .set((
        pages::path.eq(to
            .to_owned()
            .into_sql::<Text>()
            .concat(substr(pages::path, keep_from))),
        pages::depth.eq(pages::depth + depth_delta),
    ))
    .execute(conn)
    .context("moving a subtree")
}

/// Adds `delta` to the child count of page `id` (by id: paths change while a move runs).
pub(crate) fn add_to_numchild(conn: &mut DbConnection, id: i64, delta: i32) -> Result<()> {
    diesel::update(pages::table.find(id))
        .set(pages::numchild.eq(pages::numchild + delta))
        .execute(conn)
        .context("counting children")?;
    Ok(())
}

/// Deletes the subtree at `path` (the page and its descendants); returns how many rows went.
pub(crate) fn delete_subtree(conn: &mut DbConnection, path: &str) -> Result<usize> {
    diesel::delete(
        pages::table
            .filter(pages::path.ge(path))
            .filter(pages::path.lt(subtree_end(path))),
    )
    .execute(conn)
    .context("deleting a subtree")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_round_trip_and_sort_like_numbers() {
        assert_eq!(encode_step(1).unwrap(), "0001");
        assert_eq!(encode_step(36).unwrap(), "0010");
        assert_eq!(encode_step(MAX_STEP).unwrap(), "ZZZZ");
        assert!(encode_step(0).is_err() && encode_step(MAX_STEP + 1).is_err());
        let mut previous = String::new();
        for n in (1..MAX_STEP).step_by(997) {
            let step = encode_step(n).unwrap();
            assert_eq!(decode_step(&step), Some(n));
            assert!(step > previous);
            previous = step;
        }
        assert_eq!(decode_step("00a1"), None);
        assert_eq!(decode_step("001"), None);
    }

    #[test]
    fn ancestors_and_parent_come_from_the_path() {
        assert_eq!(ancestor_paths("000100020003"), ["0001", "00010002"]);
        assert!(ancestor_paths("0001").is_empty());
        assert_eq!(parent_path("000100020003"), Some("00010002"));
        assert_eq!(parent_path("0001"), None);
        assert_eq!(last_step("00010002"), Some(2));
        assert_eq!(last_step("01"), None);
        assert_eq!(parent_path("é"), None);
        assert!(subtree_end("0001").as_str() > "0001ZZZZZZZZ");
    }
}
