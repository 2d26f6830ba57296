//! Visibility (docs/visibility.md): what a user may see of the log, worked out per log table
//! just before a read and handed to it as one SQL condition.

use diesel::prelude::*;

use super::{PagePermission, groups_of};
use crate::db::{BackendKind, DbConnection, InSubquery, ListProbe, LogConnection, SqlCondition};
use crate::entry::{EntryQuery, LogEntry, LogTable, Restriction, RowFilter, Visibility};
use crate::error::{DatabaseContext, Result};
use crate::schema::auth_user_groups;

/// Who is looking at the log: what visibility filters need to know of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    /// The user.
    pub user_id: i64,
    /// Inactive users see nothing.
    pub is_active: bool,
    /// Active superusers see everything.
    pub is_superuser: bool,
    /// May add pages at the top of the tree, and so see the entries of deleted pages.
    pub sees_deleted_pages: bool,
}

impl Viewer {
    /// Reads what visibility needs to know of the user; `None` if there is no such user.
    pub fn load(conn: &mut impl LogConnection, user_id: i64) -> Result<Option<Viewer>> {
        crate::db::with_db(conn, |conn| {
            use crate::schema::{auth_users, group_page_permissions as gpp, pages};
            let Some((is_active, is_superuser)) = auth_users::table
                .find(user_id)
                .select((auth_users::is_active, auth_users::is_superuser))
                .first::<(bool, bool)>(conn)
                .optional()
                .context("reading a user")?
            else {
                return Ok(None);
            };
            let groups = groups_of(conn, user_id)?;
            let root_adds: i64 = gpp::table
                .inner_join(pages::table)
                .filter(pages::depth.eq(1))
                .filter(gpp::permission_type.eq(PagePermission::Add.name()))
                .filter(gpp::group_id.eq_any(groups))
                .count()
                .get_result(conn)
                .context("reading page permissions")?;
            Ok(Some(Viewer {
                user_id,
                is_active,
                is_superuser,
                sees_deleted_pages: root_adds > 0,
            }))
        })
    }
}

/// The part of the page tree a user may explore (docs/visibility.md): the subtrees of the
/// pages where their groups hold a page permission, and those pages' ancestors up to just
/// below the deepest common ancestor of the permission pages' parents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExplorableRegion {
    /// Paths of the permission pages: each page at or below one is explorable.
    pub subtrees: Vec<String>,
    /// Paths of the explorable ancestors of those pages.
    pub ancestors: Vec<String>,
}

impl ExplorableRegion {
    /// Reads the permission pages of `user`'s groups and works out the region from their paths.
    pub fn of_user(conn: &mut impl LogConnection, user: i64) -> Result<Self> {
        crate::db::with_db(conn, |conn| {
            let pages = PermissionPages::of_user(conn, user)?;
            Ok(Self::from_permission_paths(
                pages.sizes.into_iter().map(|(path, _)| path).collect(),
            ))
        })
    }

    /// The region of these permission pages. An ancestor x of a permission page p is kept when
    /// some permission page q's parent is not below x's child towards p, i.e. x is no higher
    /// than the deepest common ancestor of all the permission pages' parents: linear in the
    /// number of pages, since that ancestor is the longest common prefix of the parents' paths.
    ///
    /// ```
    /// use loggable::permission::ExplorableRegion;
    ///
    /// // Two sections under the same home page (0001 is the root, 00010001 home).
    /// let region = ExplorableRegion::from_permission_paths(vec![
    ///     "000100010001".to_owned(),
    ///     "000100010002".to_owned(),
    /// ]);
    /// // Home is the sections' common parent: explorable. The root is above it: not.
    /// assert_eq!(region.ancestors, ["00010001"]);
    /// // One section alone: its parent is the deepest common ancestor, so the same.
    /// let alone = ExplorableRegion::from_permission_paths(vec!["000100010001".to_owned()]);
    /// assert_eq!(alone.ancestors, ["00010001"]);
    /// ```
    pub fn from_permission_paths(mut subtrees: Vec<String>) -> Self {
        use crate::page::tree::STEP_LENGTH as STEP_LEN;
        subtrees.sort();
        subtrees.dedup();
        fn parent(q: &str) -> &[u8] {
            &q.as_bytes()[..q.len().saturating_sub(STEP_LEN)]
        }
        // The longest prefix every parent shares, in bytes.
        let first_parent = subtrees.first().map_or(&[][..], |q| parent(q));
        let deepest_common = subtrees.iter().fold(first_parent.len(), |common, q| {
            let shared = parent(q).iter().zip(first_parent);
            shared.take(common).take_while(|(a, b)| a == b).count()
        });
        // x's child towards p (x_len + STEP_LEN long) lies below the common ancestor exactly
        // when x is no higher than it.
        let from = (deepest_common / STEP_LEN).max(1) * STEP_LEN;
        let mut ancestors = std::collections::BTreeSet::new();
        for p in &subtrees {
            for x_len in (from..p.len()).step_by(STEP_LEN) {
                // `get` rather than indexing: a path that is not whole steps of ASCII (a
                // damaged row) yields no ancestors instead of a panic.
                let Some(x) = p.get(..x_len) else {
                    break;
                };
                ancestors.insert(x.to_owned());
            }
        }
        Self {
            subtrees,
            ancestors: ancestors.into_iter().collect(),
        }
    }

    /// "This row of `pages` lies in the region", for Diesel's query builder. Subtrees inside
    /// another are left out, and the ranges are joined as a balanced tree of ORs, so a user
    /// with thousands of permission pages stays within SQLite's expression depth (1,000).
    fn contains_page(&self, backend: BackendKind) -> PageFilter {
        use crate::schema::pages;
        let mut conditions: Vec<PageFilter> = vec![Box::new(SqlCondition::short_texts_in(
            "loggable_pages.path",
            &self.ancestors,
            backend,
        ))];
        for top in self.tops() {
            // '~' sorts after every path character, so [top, top~) is top's subtree.
            conditions.push(Box::new(
                pages::path
                    .ge(top.clone())
                    .and(pages::path.lt(format!("{top}~"))),
            ));
        }
        any_of(conditions)
    }

    /// The subtrees that lie in no other one (sorted paths put a subtree right after the page
    /// it lies under).
    fn tops(&self) -> Vec<&String> {
        let mut tops: Vec<&String> = Vec::new();
        for path in &self.subtrees {
            if !tops
                .last()
                .is_some_and(|top| path.starts_with(top.as_str()))
            {
                tops.push(path);
            }
        }
        tops
    }

    /// About how many pages the region holds, from the sizes of the permission pages'
    /// subtrees (an ancestor inside another subtree may be counted twice).
    fn size(&self, subtree_sizes: &std::collections::HashMap<String, i64>) -> i64 {
        let subtrees: i64 = self
            .tops()
            .into_iter()
            .filter_map(|top| subtree_sizes.get(top))
            .sum();
        subtrees + i64::try_from(self.ancestors.len()).unwrap_or(i64::MAX)
    }

    /// How many pages the region holds, counted.
    fn count_pages(&self, conn: &mut DbConnection) -> Result<i64> {
        use crate::schema::pages;
        pages::table
            .filter(self.contains_page(conn.backend()))
            .count()
            .get_result(conn)
            .context("counting the viewer's pages")
    }

    /// The ids of the region's pages, as a subquery.
    fn page_ids(
        &self,
        backend: BackendKind,
    ) -> impl diesel::query_builder::QueryFragment<crate::db::MultiBackend> + Send + 'static {
        use crate::schema::pages;
        pages::table
            .filter(self.contains_page(backend))
            .select(pages::id)
            .into_boxed()
    }
}

/// The permission pages of a user's groups with the size of each one's subtree, and the
/// tree's highest page id (which stands in for its size: one index probe, not a count).
struct PermissionPages {
    sizes: Vec<(String, i64)>,
    highest_id: Option<i64>,
}

impl PermissionPages {
    /// One query, whatever the number of pages.
    fn of_user(conn: &mut DbConnection, user: i64) -> Result<Self> {
        use crate::schema::{group_page_permissions as gpp, pages};
        let kinds = PagePermission::ALL.map(|kind| kind.name().to_owned());
        let tree = diesel::alias!(pages as tree);
        let highest_id = tree
            .select(diesel::dsl::max(tree.field(pages::id)))
            .single_value();
        let rows: Vec<(String, i64, Option<i64>)> = pages::table
            .inner_join(gpp::table.on(gpp::page_id.eq(pages::id)))
            .inner_join(auth_user_groups::table.on(auth_user_groups::group_id.eq(gpp::group_id)))
            .filter(auth_user_groups::user_id.eq(user))
            .filter(SqlCondition::texts_in(
                "loggable_group_page_permissions.permission_type",
                &kinds,
                ListProbe::Filter,
                conn.backend(),
            ))
            .select((pages::path, SubtreeSize, highest_id))
            .distinct()
            .load(conn)
            .context("reading the permission pages")?;
        let highest_id = rows.first().and_then(|(_, _, highest)| *highest);
        Ok(Self {
            sizes: rows
                .into_iter()
                .map(|(path, size, _)| (path, size))
                .collect(),
            highest_id,
        })
    }
}

/// The number of pages at or below the row's page of `pages`: a correlated count, which
/// Diesel's query builder does not express; fixed text, so the statement stays cached.
#[derive(Debug, Clone, Copy)]
struct SubtreeSize;

// It names `pages`, which only the one query above selects from.
crate::db::fixed_sql_expression!(SubtreeSize, diesel::sql_types::BigInt);

impl diesel::query_builder::QueryFragment<crate::db::MultiBackend> for SubtreeSize {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, crate::db::MultiBackend>,
    ) -> diesel::QueryResult<()> {
        match out.backend() {
            // MySQL and MariaDB scan the whole path index for a range whose bounds come from
            // the outer row (about 1 ms per permission page at 5,000 pages): the size is left
            // out, and the region is counted apart when it matters (`Access::resolve`).
            #[cfg(feature = "mysql")]
            crate::db::MultiBackend::Mysql(_) => out.push_sql("0"),
            // '~' sorts after every path character, so [path, path~) is the page's subtree.
            #[allow(unreachable_patterns, reason = "no other variant in a MySQL-only build")]
            _ => out.push_sql(
                "(SELECT COUNT(*) FROM loggable_pages below \
                 WHERE below.path >= loggable_pages.path AND below.path < loggable_pages.path || '~')",
            ),
        }
        Ok(())
    }
}

/// `a OR b OR ...`, nested as a balanced tree (depth log2 n, not n).
fn any_of(mut conditions: Vec<PageFilter>) -> PageFilter {
    match conditions.len() {
        0 => Box::new(SqlCondition::new("1 = 0")),
        1 => conditions.remove(0),
        n => {
            let right = conditions.split_off(n / 2);
            Box::new(any_of(conditions).or(any_of(right)))
        }
    }
}

type PageFilter = Box<
    dyn diesel::expression::BoxableExpression<
            crate::schema::pages::table,
            crate::db::MultiBackend,
            SqlType = diesel::sql_types::Bool,
        >,
>;

/// Below this share of the tree, an editor's entries are fetched through the page index;
/// at or above it, the newest entries are scanned in timestamp order and kept when their page
/// is explorable (about `limit / share` index entries for a first page).
const TIME_ORDER_MIN_SHARE: f64 = 0.01;

/// What a query on one log table may show a viewer, worked out before the query runs: the
/// explorable pages (page log) or the permitted types (other tables), and for pages which
/// index to read by. Decided per query, so it always reflects the current grants and tree.
#[derive(Debug, Clone, PartialEq)]
enum Access {
    /// No restriction to resolve: no viewer, a superuser or an inactive user (whom
    /// [`visibility_filter`] handles on its own).
    Unrestricted,
    /// The explorable pages of a page log.
    Pages {
        /// Where they lie in the tree.
        region: ExplorableRegion,
        /// Scan newest first and filter by page, rather than look the pages up by index.
        by_time: bool,
        /// Whether entries of deleted pages are shown too.
        with_deleted: bool,
        /// The backend the list is bound for.
        backend: BackendKind,
    },
    /// The types the viewer holds some model permission on (other log tables).
    Types {
        /// The type names.
        types: Vec<String>,
        /// The backend the list is bound for.
        backend: BackendKind,
    },
}

impl Access {
    /// Resolves what `viewer` may see in `table` with one small query: the permitted types,
    /// or the permission pages with their subtrees' sizes and the tree's size (which decide
    /// the index a `limited` read walks). The pages themselves are left to the entries query,
    /// as a subquery.
    fn resolve(
        conn: &mut DbConnection,
        table: &LogTable,
        viewer: &Viewer,
        limited: bool,
    ) -> Result<Self> {
        use crate::schema::model_permissions as mp;
        if !viewer.is_active || viewer.is_superuser {
            return Ok(Self::Unrestricted);
        }
        if table.name() != crate::entry::PAGE_LOG_TABLE {
            let groups = auth_user_groups::table
                .filter(auth_user_groups::user_id.eq(viewer.user_id))
                .select(auth_user_groups::group_id.nullable());
            let types = mp::table
                .filter(
                    mp::user_id
                        .eq(viewer.user_id)
                        .or(mp::group_id.eq_any(groups)),
                )
                .select(mp::content_type)
                .distinct()
                .load(conn)
                .context("reading the viewer's model permissions")?;
            return Ok(Self::Types {
                types,
                backend: conn.backend(),
            });
        }
        let permission_pages = PermissionPages::of_user(conn, viewer.user_id)?;
        let highest_id = permission_pages.highest_id;
        let sizes: std::collections::HashMap<String, i64> =
            permission_pages.sizes.into_iter().collect();
        let region = ExplorableRegion::from_permission_paths(sizes.keys().cloned().collect());
        // Only a limited read (a report page) can stop early in timestamp order; the share of
        // the tree the viewer sees matters only then.
        let by_time = limited && {
            let region_size = match conn.backend() {
                // No subtree sizes on MySQL (see `SubtreeSize`): one count of the region's
                // pages, a range of the path index per subtree.
                BackendKind::Mysql => region.count_pages(conn)?,
                _ => region.size(&sizes),
            };
            region_size as f64 / highest_id.unwrap_or(1).max(1) as f64 >= TIME_ORDER_MIN_SHARE
        };
        Ok(Self::Pages {
            region,
            by_time,
            with_deleted: viewer.sees_deleted_pages,
            backend: conn.backend(),
        })
    }

    /// Whether no entry can be shown (the table need not be read at all).
    fn shows_nothing(&self) -> bool {
        match self {
            Self::Unrestricted => false,
            Self::Pages {
                region,
                with_deleted,
                ..
            } => region.subtrees.is_empty() && !with_deleted,
            Self::Types { types, .. } => types.is_empty(),
        }
    }
}

/// The condition "`viewer` may see this entry" on `table` (docs/visibility.md), as one SQL
/// expression over the row, so it composes with any other filter, ordering and paging.
/// `access` is what [`Access::resolve`] worked out for the read.
///
/// Page entries: the viewer may explore the page (a page permission of one of their groups
/// at or above it, or the page is on the way down to such a page from just below the
/// deepest common ancestor of those pages' parents); entries of deleted pages only for users
/// who may add pages at the top of the tree ([`Viewer::sees_deleted_pages`], which
/// [`Viewer::load`] reads). Other tables: the viewer holds some permission on
/// the entry's type, directly or through a group; untyped entries are never shown. Active
/// superusers see everything, inactive users nothing.
///
/// Raw SQL fragments name only fixed tables and columns, and bind every value: column
/// expressions the planner must not match to an index (`+ 0`), SQLite's `json_each`, and the
/// correlated "the page is gone" test, none of which Diesel's query builder expresses.
fn visibility_filter(table: &LogTable, viewer: &Viewer, access: Access) -> Restriction {
    let (name, object_column) = (table.name(), table.object_column());
    if !viewer.is_active || access.shows_nothing() {
        return Restriction::Nothing;
    }
    if viewer.is_superuser {
        return Restriction::Everything;
    }
    match access {
        // An active non-superuser whose access was not resolved sees nothing.
        Access::Unrestricted => Restriction::Nothing,
        // A NULL type matches no list, so untyped entries stay hidden.
        Access::Types { types, backend } => {
            Restriction::Only(RowFilter::new(SqlCondition::texts_in(
                &format!("{name}.content_type"),
                &types,
                ListProbe::Filter,
                backend,
            )))
        }
        Access::Pages {
            region,
            by_time,
            with_deleted,
            backend,
        } => {
            // `+ 0` hides the page index from the planner, so it walks the timestamp index.
            let (column, probe) = if by_time {
                (format!("({name}.{object_column} + 0)"), ListProbe::Filter)
            } else {
                (format!("{name}.{object_column}"), ListProbe::Index)
            };
            let explorable = InSubquery::new(column, region.page_ids(backend), probe, backend);
            if with_deleted {
                Restriction::Only(RowFilter::new(explorable.or(SqlCondition::new(format!(
                    "NOT EXISTS (SELECT 1 FROM loggable_pages x WHERE x.id = {name}.{object_column})"
                )))))
            } else {
                Restriction::Only(RowFilter::new(explorable))
            }
        }
    }
}

impl Visibility for Viewer {
    fn restriction(
        &self,
        conn: &mut DbConnection,
        table: &LogTable,
        limited: bool,
    ) -> Result<Restriction> {
        let access = Access::resolve(conn, table, self, limited)?;
        Ok(visibility_filter(table, self, access))
    }
}

/// The entries of `table` that `viewer` may see, newest first, within `query`'s scope and
/// window.
///
/// ```
/// use loggable::entry::{EntryQuery, EntryScope, PAGE_LOG};
/// use loggable::permission::{Viewer, viewable_entries};
///
/// let mut conn = loggable::db::connect(":memory:")?;
/// loggable::db::run_migrations(&mut conn)?;
/// let nobody = Viewer { user_id: 1, is_active: true, is_superuser: false, sees_deleted_pages: false };
/// let first_page = EntryQuery::new(EntryScope::All).limit(50);
/// assert!(viewable_entries(&mut conn, &PAGE_LOG, &nobody, first_page)?.is_empty());
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn viewable_entries(
    conn: &mut impl LogConnection,
    table: &LogTable,
    viewer: &Viewer,
    query: EntryQuery,
) -> Result<Vec<LogEntry>> {
    crate::db::with_db(conn, |conn| table.read(conn, &query, Some(viewer)))
}

/// How many entries of `table` `viewer` may see within `query`'s scope.
pub fn count_viewable(
    conn: &mut impl LogConnection,
    table: &LogTable,
    viewer: &Viewer,
    query: EntryQuery,
) -> Result<i64> {
    crate::db::with_db(conn, |conn| table.count_visible(conn, &query, Some(viewer)))
}
