//! The registry: which actions exist (in order), which models log where, and display settings.
//!
//! A program builds one at start-up by registering on the global registry
//! ([`register_action`], [`register_model`]); tests build their own [`Registry`] and pass it
//! explicitly (`write_with`, `*_with` functions), so they never see each other's registrations.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use chrono::{FixedOffset, Offset, Utc};

mod action;
mod builtin;

pub use self::action::{Action, CommentFn, FormatFn, MAX_ACTION_LENGTH};
pub(crate) use self::action::{check_code, data_datetime};
use self::builtin::builtin_actions;
use crate::db::LogConnection;
use crate::directory::{DisplayNames, UserDirectory, deleted_user};
use crate::entry::{LogEntry, LogTable, MODEL_LOG, PAGE_LOG, WriteHook};
use crate::error::Result;
use crate::object::{Loggable, capitalize_first};
use crate::user_id::UserId;

/// What the registry knows of one model type (identified by its `content_type` name).
///
/// ```
/// use loggable::registry::ModelType;
///
/// let sprocket = ModelType::new("shop.sprocket")
///     .verbose_name("sprocket")
///     .field("name", "name")
///     .field("teeth", "number of teeth");
/// let blog = ModelType::page("cms.blogpage").verbose_name("blog page");
/// # let _ = (sprocket, blog);
/// ```
#[derive(Clone)]
pub struct ModelType {
    content_type: String,
    verbose_name: Option<String>,
    log_table: Option<LogTable>,
    fields: Option<Vec<(String, String)>>,
}

impl ModelType {
    /// A model type whose entries go to the generic `loggable_model_log_entries` table.
    pub fn new(content_type: impl Into<String>) -> Self {
        Self {
            content_type: content_type.into(),
            verbose_name: None,
            log_table: None,
            fields: None,
        }
    }

    /// A page type: its entries go to `loggable_page_log_entries`.
    pub fn page(content_type: impl Into<String>) -> Self {
        Self::new(content_type).log_table(PAGE_LOG)
    }

    /// The human name used in messages (default: the part of the type name after the dot).
    pub fn verbose_name(mut self, name: impl Into<String>) -> Self {
        self.verbose_name = Some(name.into());
        self
    }

    /// Sends this model's entries to its own log table (see [`log_table!`](crate::log_table)).
    pub fn log_table(mut self, table: LogTable) -> Self {
        self.log_table = Some(table);
        self
    }

    /// Declares a field and its human name, used by comment messages. Once any field is
    /// declared, comments on undeclared fields show their fallback text; with none declared,
    /// a field's name is spelled with spaces for underscores.
    pub fn field(mut self, name: impl Into<String>, verbose_name: impl Into<String>) -> Self {
        self.fields
            .get_or_insert_with(Vec::new)
            .push((name.into(), verbose_name.into()));
        self
    }

    /// The type name, e.g. `shop.sprocket`.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }
}

/// Actions, model types and display settings.
///
/// ```
/// use loggable::registry::{Action, Registry};
///
/// let mut registry = Registry::new();
/// assert_eq!(registry.actions().count(), 38);
/// registry.register_action(Action::new("shop.restock", "Restock")?.message("Restocked"));
/// assert_eq!(registry.action("shop.restock").map(|a| a.label()), Some("Restock"));
/// # Ok::<(), loggable::Error>(())
/// ```
#[derive(Clone)]
pub struct Registry {
    actions: Vec<Action>,
    action_index: HashMap<String, usize>,
    models: HashMap<String, ModelType>,

    display_offset: FixedOffset,
    languages: HashMap<String, String>,
    max_data_bytes: usize,
    write_hooks: HashMap<String, Arc<dyn WriteHook>>,
    users: Option<Arc<dyn UserDirectory>>,
}

/// The default cap on an entry's `data`, as serialized JSON: 1 MiB.
pub const DEFAULT_MAX_DATA_BYTES: usize = 1024 * 1024;

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("actions", &self.actions.len())
            .field("models", &self.models.len())
            .field("display_offset", &self.display_offset)
            .finish_non_exhaustive()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// A registry holding the 38 built-in actions and no model types.
    pub fn new() -> Self {
        let mut registry = Self {
            actions: Vec::new(),
            action_index: HashMap::new(),
            models: HashMap::new(),
            display_offset: Utc.fix(),
            languages: HashMap::from([("en".to_owned(), "English".to_owned())]),
            max_data_bytes: DEFAULT_MAX_DATA_BYTES,
            write_hooks: HashMap::new(),
            users: None,
        };
        for action in builtin_actions() {
            registry.register_action(action);
        }
        registry
    }

    /// Caps an entry's `data` at `bytes` of serialized JSON (default
    /// [`DEFAULT_MAX_DATA_BYTES`]); a larger entry is refused with
    /// [`Error::DataTooLarge`](crate::Error::DataTooLarge).
    ///
    /// ```
    /// use loggable::{ObjectRef, log};
    ///
    /// let mut registry = loggable::registry::Registry::new();
    /// registry.set_max_data_bytes(16);
    /// let big = serde_json::json!({"note": "far more than sixteen bytes"});
    /// let err = log(&ObjectRef::new("shop.sprocket", 1), "wagtail.edit")
    ///     .data(big)
    ///     .prepare(&registry)
    ///     .unwrap_err();
    /// assert!(matches!(err, loggable::Error::DataTooLarge { limit: 16, .. }));
    /// ```
    pub fn set_max_data_bytes(&mut self, bytes: usize) -> &mut Self {
        self.max_data_bytes = bytes;
        self
    }

    /// Runs `hook` around every write of this process to the log table `table` (the hash
    /// chain is one: [`HashChain`](crate::integrity::HashChain::new())). Replaces the table's
    /// previous hook.
    pub fn set_write_hook(&mut self, table: &str, hook: Arc<dyn WriteHook>) -> &mut Self {
        self.write_hooks.insert(table.to_owned(), hook);
        self
    }

    /// The hook that runs around writes to `table`, if any.
    pub fn write_hook(&self, table: &str) -> Option<&Arc<dyn WriteHook>> {
        self.write_hooks.get(table)
    }

    /// The cap on an entry's serialized `data`.
    pub fn max_data_bytes(&self) -> usize {
        self.max_data_bytes
    }

    /// Adds an action, or replaces the message of an action with the same code while keeping
    /// its place in the order (so filter choices never list a code twice).
    pub fn register_action(&mut self, action: Action) -> &mut Self {
        match self.action_index.get(action.code()) {
            Some(&position) => self.actions[position] = action,
            None => {
                self.action_index
                    .insert(action.code().to_owned(), self.actions.len());
                self.actions.push(action);
            }
        }
        self
    }

    /// Adds or replaces what the registry knows of a model type.
    pub fn register_model(&mut self, model: ModelType) -> &mut Self {
        self.models.insert(model.content_type.clone(), model);
        self
    }

    /// Sets where users' display names come from: the application's users table (see
    /// [`UserDirectory`]), such as the CMS layer's [`CmsUsers`](crate::user::CmsUsers). Without
    /// one, entries show `user {key}`.
    pub fn set_user_directory(&mut self, users: Arc<dyn UserDirectory>) -> &mut Self {
        self.users = Some(users);
        self
    }

    /// Where users' display names come from, if set.
    pub fn user_directory(&self) -> Option<&dyn UserDirectory> {
        self.users.as_deref()
    }

    /// Display names of many users (for lists of entries), from the
    /// [`UserDirectory`]: one lookup for all of them. Without a directory, `user {key}`.
    pub fn display_names(
        &self,
        conn: &mut impl LogConnection,
        ids: impl IntoIterator<Item = Option<UserId>>,
    ) -> Result<DisplayNames> {
        let mut wanted: Vec<UserId> = ids.into_iter().flatten().collect();
        wanted.sort_unstable();
        wanted.dedup();
        let Some(directory) = self.user_directory() else {
            return Ok(DisplayNames {
                names: wanted
                    .into_iter()
                    .map(|id| (id.clone(), format!("user {id}")))
                    .collect(),
            });
        };
        let found = directory.display_names(conn.backend_connection(), &wanted)?;
        let names = wanted
            .into_iter()
            .map(|id| {
                let name = found.get(&id).cloned().unwrap_or_else(|| deleted_user(&id));
                (id, name)
            })
            .collect();
        Ok(DisplayNames { names })
    }

    /// Sets the timezone in which messages show datetimes (default UTC).
    pub fn set_display_offset(&mut self, offset: FixedOffset) -> &mut Self {
        self.display_offset = offset;
        self
    }

    /// Names a content language (for `wagtail.copy_for_translation` messages).
    pub fn register_language(
        &mut self,
        code: impl Into<String>,
        name: impl Into<String>,
    ) -> &mut Self {
        self.languages.insert(code.into(), name.into());
        self
    }

    /// The action registered under `code`.
    pub fn action(&self, code: &str) -> Option<&Action> {
        self.action_index.get(code).map(|&i| &self.actions[i])
    }

    /// Every action, in registration order (the order of filter choices).
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter()
    }

    /// The label of `code`, or the code itself when it is not registered.
    pub fn label<'a>(&'a self, code: &'a str) -> &'a str {
        self.action(code).map_or(code, Action::label)
    }

    /// The entry's message: its action's, or `Unknown {action}` for an unregistered code.
    pub fn message(&self, entry: &LogEntry) -> String {
        if let Some(reason) = &entry.unreadable {
            return format!(
                "Unreadable entry {} in {}: {reason}",
                entry.id, entry.log_table
            );
        }
        match self.action(&entry.action) {
            Some(action) => action.render_message(entry, self),
            None => format!("Unknown {}", entry.action),
        }
    }

    /// The entry's message followed by its comment, when it has one: `message — "comment"`,
    /// as a history shows an entry.
    pub fn message_with_comment(&self, entry: &LogEntry) -> String {
        let message = self.message(entry);
        let comment = self.comment(entry);
        if comment.is_empty() {
            message
        } else {
            format!("{message} — \"{comment}\"")
        }
    }

    /// The entry's comment (workflow actions: `data.comment`); empty for other actions.
    pub fn comment(&self, entry: &LogEntry) -> String {
        self.action(&entry.action)
            .map(|action| action.render_comment(entry))
            .unwrap_or_default()
    }

    /// The model type registered under `content_type`.
    pub fn model(&self, content_type: &str) -> Option<&ModelType> {
        self.models.get(content_type)
    }

    /// The log table for objects of `content_type`: its registered table, else the generic one.
    pub fn log_table_for(&self, content_type: &str) -> LogTable {
        self.registered_log_table(content_type).unwrap_or(MODEL_LOG)
    }

    /// The log table for `object`: the one registered for its type, else the one its type
    /// declares (`#[loggable(log_table = ...)]`), else the generic one.
    pub fn log_table_of(&self, object: &(impl Loggable + ?Sized)) -> LogTable {
        self.registered_log_table(&object.content_type())
            .or_else(|| object.declared_log_table())
            .unwrap_or(MODEL_LOG)
    }

    fn registered_log_table(&self, content_type: &str) -> Option<LogTable> {
        self.models
            .get(content_type)
            .and_then(|model| model.log_table)
    }

    /// Every log table, each once: pages, the generic table, then registered tables by name.
    pub fn log_tables(&self) -> Vec<LogTable> {
        let mut tables = vec![PAGE_LOG, MODEL_LOG];
        let mut own: Vec<LogTable> = self
            .models
            .values()
            .filter_map(|model| model.log_table)
            .collect();
        own.sort_by_key(|table| table.name());
        for table in own {
            if tables.iter().all(|known| known.name() != table.name()) {
                tables.push(table);
            }
        }
        tables
    }

    /// [`log_tables`](Self::log_tables) and every other table loggable has written to in
    /// this database (recorded by the writes themselves): a model whose table this registry
    /// never heard of still has its entries verified, purged, reported and exported.
    pub fn all_log_tables(&self, conn: &mut impl LogConnection) -> Result<Vec<LogTable>> {
        let mut tables = self.log_tables();
        let recorded = crate::db::with_db(conn, crate::entry::recorded_tables)?;
        for table in recorded {
            if tables.iter().all(|known| known.name() != table.name()) {
                tables.push(table);
            }
        }
        Ok(tables)
    }

    /// The human name of the entry's object type: `page` for page entries, else the registered
    /// verbose name, else the type name after its dot.
    pub(crate) fn model_name(&self, entry: &LogEntry) -> String {
        if entry.is_page_entry() {
            return "page".to_owned();
        }
        let Some(content_type) = entry.content_type.as_deref() else {
            return "object".to_owned();
        };
        match self
            .models
            .get(content_type)
            .and_then(|m| m.verbose_name.clone())
        {
            Some(name) => name,
            None => default_verbose_name(content_type),
        }
    }

    /// The human name of a type for reports: its registered verbose name (first letter
    /// upper-cased), else the stored type name; `Unknown content type` for none.
    pub fn type_label(&self, content_type: Option<&str>) -> String {
        let Some(content_type) = content_type else {
            return "Unknown content type".to_owned();
        };
        match self
            .models
            .get(content_type)
            .and_then(|m| m.verbose_name.clone())
        {
            Some(name) => capitalize_first(name),
            None => content_type.to_owned(),
        }
    }

    /// The human name of `field` on `content_type`, if the type is registered and has it.
    pub fn field_label(&self, content_type: &str, field: &str) -> Option<String> {
        let model = self.models.get(content_type)?;
        match &model.fields {
            Some(fields) => fields
                .iter()
                .find(|(name, _)| name == field)
                .map(|(_, label)| label.clone()),
            None => (!field.is_empty()).then(|| field.replace('_', " ")),
        }
    }

    /// The display timezone.
    pub fn display_offset(&self) -> FixedOffset {
        self.display_offset
    }

    /// The name of a content language code, if registered.
    pub(crate) fn language_name(&self, code: &str) -> Option<String> {
        self.languages.get(code).cloned()
    }
}

/// `shop.sprocket` → `sprocket`; `blog_post` → `blog post`.
fn default_verbose_name(content_type: &str) -> String {
    let model = content_type.rsplit('.').next().unwrap_or(content_type);
    model.replace('_', " ")
}

static GLOBAL: LazyLock<RwLock<Arc<Registry>>> =
    LazyLock::new(|| RwLock::new(Arc::new(Registry::new())));

/// The program's registry: the built-ins plus everything registered on it so far.
/// Cheap: a reference-counted snapshot.
pub fn global() -> Arc<Registry> {
    GLOBAL
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// Changes the global registry. Entries being written keep the snapshot they started with.
pub fn update_global(change: impl FnOnce(&mut Registry)) {
    let mut guard = GLOBAL.write().unwrap_or_else(PoisonError::into_inner);
    change(Arc::make_mut(&mut guard));
}

/// Registers an action on the global registry (replacing one with the same code).
///
/// ```
/// use loggable::registry::Action;
///
/// loggable::register_action(Action::new("shop.restock", "Restock")?.message("Restocked"));
/// assert!(loggable::registry::global().action("shop.restock").is_some());
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn register_action(action: Action) {
    update_global(|registry| {
        registry.register_action(action);
    });
}

/// Registers a model type on the global registry.
pub fn register_model(model: ModelType) {
    update_global(|registry| {
        registry.register_model(model);
    });
}
