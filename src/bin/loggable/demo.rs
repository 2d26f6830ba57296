//! `loggable demo`: a small site and a realistic day of edits by several users, each user
//! action in its own log context, so the site history has something to show.

use anyhow::Result;
use chrono::{Duration, Utc};
use loggable::model::LogOptions;
use loggable::page::{self, CopyOptions, NewPage, Page, Position};
use loggable::permission::{PagePermission, add_to_group, create_group, grant_page_permission};
use loggable::privacy::Restriction;
use loggable::registry::ModelType;
use loggable::user::{NewUser, create_user};
use loggable::{DbConnection, LogContext, ObjectRef, log, workflow};

/// Builds the demo site in `conn` and performs the day's edits; returns how many entries
/// were written.
pub fn run(conn: &mut DbConnection) -> Result<usize> {
    loggable::register_model(ModelType::page("demo.homepage").verbose_name("home page"));
    loggable::register_model(
        ModelType::page("demo.blogpage")
            .verbose_name("blog page")
            .field("title", "title")
            .field("body", "body"),
    );
    loggable::register_model(ModelType::new("demo.product").verbose_name("product"));
    let suffix = uuid::Uuid::new_v4().simple().to_string()[..6].to_owned();
    let user = |conn: &mut DbConnection, name: &str, full: &str| -> Result<i64> {
        Ok(create_user(
            conn,
            &NewUser::new(&format!("{name}-{suffix}")).full_name(full),
        )?
        .id)
    };
    let ada = user(conn, "ada", "Ada Lovelace")?;
    let grace = user(conn, "grace", "Grace Hopper")?;
    let linus = user(conn, "linus", "Linus Torvalds")?;
    let editors = create_group(conn, &format!("Editors {suffix}"))?;
    let moderators = create_group(conn, &format!("Moderators {suffix}"))?;
    add_to_group(conn, grace, editors.id)?;
    add_to_group(conn, linus, moderators.id)?;

    let act = |user: i64| LogContext::new(Some(user));
    let opts = LogOptions::new();
    let root = page::add_root(
        conn,
        &NewPage::new("demo.homepage", "Site root"),
        &LogOptions::new().suppress(),
    )?;
    let home = act(ada).scope(|| -> loggable::Result<Page> {
        let home = page::add_child(conn, root.id, &NewPage::new("demo.homepage", "Home"), &opts)?;
        home.save_and_publish(conn)
    })?;
    let blog = act(ada).scope(|| -> loggable::Result<Page> {
        let blog = page::add_child(conn, home.id, &NewPage::new("demo.blogpage", "Blog"), &opts)?;
        blog.save_and_publish(conn)
    })?;
    grant_page_permission(conn, editors.id, blog.id, PagePermission::Change)?;
    grant_page_permission(conn, moderators.id, home.id, PagePermission::Publish)?;
    let review =
        workflow::create_group_approval_task(conn, &format!("Review {suffix}"), &[moderators.id])?;
    let moderation = workflow::create_workflow(conn, "Moderation", &[review.id])?;
    workflow::assign_to_page(conn, moderation.id, blog.id)?;

    // Grace drafts a post, locks it while she writes, and submits it for review.
    let post = act(grace).scope(|| -> loggable::Result<Page> {
        let post = page::add_child(
            conn,
            blog.id,
            &NewPage::new("demo.blogpage", "Hello world"),
            &opts,
        )?;
        page::save_draft(conn, &post, &opts)?;
        Ok(post)
    })?;
    act(grace).scope(|| post.lock(conn))?;
    act(grace).scope(|| -> loggable::Result<()> {
        let mut draft = page::find(conn, post.id)?;
        draft.title = "Hello, world".into();
        draft.draft_title = "Hello, world".into();
        page::save_draft_with_comments(
            conn,
            &draft,
            &[page::CommentChange::Create {
                contentpath: "body".into(),
                text: "Needs a picture".into(),
            }],
            &opts,
        )?;
        Ok(())
    })?;
    act(grace).scope(|| post.unlock(conn))?;
    act(grace).scope(|| workflow::start(conn, &post, moderation.id, &opts))?;
    // Linus approves: the post is published under its new title.
    act(linus).scope(|| workflow::approve(conn, &post, "Lovely", &opts))?;
    // Ada makes the blog members-only, schedules a page, copies and moves things around.
    act(ada).scope(|| blog.set_restriction(conn, &Restriction::Login))?;
    let about = act(ada).scope(|| -> loggable::Result<Page> {
        let about = page::add_child(
            conn,
            home.id,
            &NewPage::new("demo.homepage", "About"),
            &opts,
        )?;
        let mut draft = about.clone();
        draft.go_live_at = Some((Utc::now() + Duration::hours(4)).naive_utc());
        let revision = page::save_draft(conn, &draft, &opts)?;
        draft.publish(conn, revision.id)
    })?;
    let archive = act(ada).scope(|| {
        page::copy(
            conn,
            blog.id,
            home.id,
            CopyOptions {
                recursive: true,
                keep_live: false,
            },
            &opts,
        )
    })?;
    act(ada).scope(|| page::move_page(conn, about.id, Position::FirstChildOf(home.id), &opts))?;
    act(ada).scope(|| page::delete(conn, archive.id, &opts))?;
    // Grace edits a product in the shop (a non-page model, logged by hand).
    act(grace).scope(|| {
        log(
            &ObjectRef::new("demo.product", 7).title("Rubber duck"),
            "wagtail.edit",
        )
        .content_changed(true)
        .data(serde_json::json!({"changes": {"price": [3, 4]}}))
        .write(conn)
    })?;
    // The periodic job runs later that day.
    Page::run_scheduled(conn, Utc::now() + Duration::hours(5))?;
    let registry = loggable::registry::global();
    let everything = loggable::entry::EntryQuery::new(loggable::entry::EntryScope::All);
    let mut written = 0;
    for table in registry.log_tables() {
        written += table.count(conn, &everything)?;
    }
    Ok(usize::try_from(written)?)
}
