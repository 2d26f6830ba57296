//! The lifecycle half of `#[derive(Loggable)]`: the `Model` statements and capability traits
//! for a model with a Diesel table, and the inherent methods users call.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{DeriveInput, Ident, Path};

use crate::attr::{Errors, ModelAttrs};
use crate::loggable::{Model, ModelField, is_option};

const LOCK_FIELDS: [(&str, &str); 3] = [
    ("locked", "bool"),
    ("locked_at", "Option<chrono::NaiveDateTime>"),
    ("locked_by", "Option<i64>"),
];

const DRAFT_FIELDS: [(&str, &str); 6] = [
    ("live", "bool"),
    ("has_unpublished_changes", "bool"),
    ("first_published_at", "Option<chrono::NaiveDateTime>"),
    ("last_published_at", "Option<chrono::NaiveDateTime>"),
    ("live_revision_id", "Option<i64>"),
    ("latest_revision_id", "Option<i64>"),
];

const SCHEDULE_FIELDS: [(&str, &str); 3] = [
    ("go_live_at", "Option<chrono::NaiveDateTime>"),
    ("expire_at", "Option<chrono::NaiveDateTime>"),
    ("expired", "bool"),
];

/// Checks that each capability asked for has its fields, and that there is a table.
pub fn check(
    input: &DeriveInput,
    attrs: &ModelAttrs,
    fields: &[ModelField<'_>],
    primary_key: Option<&ModelField<'_>>,
    table: Option<&Path>,
    errors: &mut Errors,
) {
    let capabilities = [
        &attrs.lockable,
        &attrs.revisions,
        &attrs.draft_state,
        &attrs.scheduling,
        &attrs.privacy,
    ];
    if table.is_none() {
        let asked = capabilities
            .iter()
            .find_map(|c| c.as_ref().map(Spanned::span));
        let span = asked.or_else(|| attrs.new.as_ref().map(Spanned::span));
        if let Some(span) = span {
            errors.push(syn::Error::new(
                span,
                "lifecycle operations need the model's Diesel table: add \
                 #[diesel(table_name = your_table)] or #[loggable(table = your_table)]",
            ));
        }
        return;
    }
    let require = |flag: &Option<Ident>, wanted: &[(&str, &str)], errors: &mut Errors| {
        let Some(flag) = flag else { return };
        let missing: Vec<String> = wanted
            .iter()
            .filter(|(name, _)| fields.iter().all(|f| f.ident != name))
            .map(|(name, ty)| format!("`{name}: {ty}`"))
            .collect();
        if !missing.is_empty() {
            errors.push(syn::Error::new(
                flag.span(),
                format!(
                    "`{flag}` needs these fields (and columns of the same name): {}; \
                     add them to the struct and the table, or remove `{flag}`",
                    missing.join(", ")
                ),
            ));
        }
    };
    require(&attrs.lockable, &LOCK_FIELDS, errors);
    require(&attrs.draft_state, &DRAFT_FIELDS, errors);
    if attrs.scheduling.is_some() {
        let all: Vec<_> = DRAFT_FIELDS
            .iter()
            .chain(&SCHEDULE_FIELDS)
            .copied()
            .collect();
        require(&attrs.scheduling, &all, errors);
    }
    let key_is_option = primary_key.is_some_and(|f| is_option(&f.field.ty));
    if key_is_option {
        errors.push(syn::Error::new(
            input.ident.span(),
            "a model with a Diesel table needs a primary key that is not an Option \
             (rows in the table always have one)",
        ));
    }
}

struct Capabilities {
    lockable: bool,
    revisions: bool,
    draft_state: bool,
    scheduling: bool,
    privacy: bool,
}

impl Capabilities {
    fn of(attrs: &ModelAttrs) -> Self {
        let scheduling = attrs.scheduling.is_some();
        let draft_state = scheduling || attrs.draft_state.is_some();
        Self {
            lockable: attrs.lockable.is_some(),
            revisions: draft_state || attrs.revisions.is_some(),
            draft_state,
            scheduling,
            privacy: attrs.privacy.is_some(),
        }
    }

    /// Columns the lifecycle keeps itself; `update` never writes or compares them.
    fn bookkeeping(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.lockable {
            names.extend(LOCK_FIELDS.iter().map(|(n, _)| *n));
        }
        if self.draft_state {
            names.extend(DRAFT_FIELDS.iter().map(|(n, _)| *n));
        }
        if self.scheduling {
            names.push("expired");
        }
        names
    }
}

pub fn generate(model: &Model<'_>) -> TokenStream {
    let (Some(table), Some(key)) = (&model.table, model.primary_key()) else {
        return TokenStream::new();
    };
    let caps = Capabilities::of(&model.attrs);
    let diesel = quote!(::loggable::__private::diesel);
    let ident = &model.input.ident;
    let key_type = &key.field.ty;
    let key_field = key.ident;
    let key_column = &key.column;
    let dsl = quote!(#diesel::dsl);
    // The row whose key is `key`, and its UPDATE (the lifecycle traits' bookkeeping writes),
    // with the statement types the where-clauses of the generated impls name.
    let by_key = quote! {
        #table::table.filter(#table::#key_column.eq(::core::clone::Clone::clone(key)))
    };
    let by_key_type = quote! {
        #dsl::Filter<#table::table, #dsl::Eq<#table::#key_column, #key_type>>
    };
    let by_keys_type = quote! {
        #dsl::Filter<#table::table, #dsl::EqAny<#table::#key_column, ::std::vec::Vec<#key_type>>>
    };
    let update_by_key = quote!(#diesel::update(#by_key));
    let bookkeeping = caps.bookkeeping();
    let loads =
        |query: TokenStream| quote!(#query: #diesel::query_dsl::LoadQuery<'static, __C, Self>);
    let executes =
        |statement: TokenStream| quote!(#statement: #diesel::query_dsl::methods::ExecuteDsl<__C>);
    let field_type = |name: &str| {
        model
            .fields
            .iter()
            .find(|f| f.ident == name)
            .map(|f| {
                let ty = &f.field.ty;
                quote!(#ty)
            })
            .unwrap_or_else(|| quote!(()))
    };
    // The bookkeeping UPDATE of `columns` by key, its where-clause, and the row read back.
    let store_columns = |columns: &[&str]| {
        let idents: Vec<Ident> = columns
            .iter()
            .map(|c| Ident::new(c, proc_macro2::Span::call_site()))
            .collect();
        let types: Vec<TokenStream> = columns.iter().map(|c| field_type(c)).collect();
        let bound = executes(quote! {
            #dsl::Update<#by_key_type, (#(#dsl::Eq<#table::#idents, #types>,)*)>
        });
        (idents, bound)
    };
    let content_fields: Vec<&ModelField<'_>> = model
        .fields
        .iter()
        .filter(|f| f.ident != key_field && f.attrs.managed.is_none())
        .filter(|f| !bookkeeping.iter().any(|b| f.ident == b))
        .collect();
    let changeset = content_fields.iter().map(|f| {
        let (field, column) = (f.ident, &f.column);
        quote!(#table::#column.eq(::core::clone::Clone::clone(&self.#field)))
    });
    let changeset_type = content_fields.iter().map(|f| {
        let (ty, column) = (&f.field.ty, &f.column);
        quote!(#dsl::Eq<#table::#column, #ty>)
    });
    let save_bound = executes(quote!(#dsl::Update<#by_key_type, (#(#changeset_type,)*)>));
    let changes = content_fields
        .iter()
        .filter(|f| f.attrs.skip.is_none())
        .map(|f| {
            let field = f.ident;
            let name = field.to_string();
            let value = if f.attrs.redact.is_some() {
                quote!(::loggable::__private::serde_json::json!([
                    "[redacted]",
                    "[redacted]"
                ]))
            } else {
                quote!(::loggable::__private::serde_json::Value::Array(
                    ::std::vec![
                        ::loggable::__private::serde_json::to_value(&old.#field)
                            .unwrap_or(::loggable::__private::serde_json::Value::Null),
                        ::loggable::__private::serde_json::to_value(&new.#field)
                            .unwrap_or(::loggable::__private::serde_json::Value::Null),
                    ]
                ))
            };
            quote! {
                if old.#field != new.#field {
                    changes.insert(::std::string::String::from(#name), #value);
                }
            }
        });
    let revision_content = caps.revisions.then(|| {
        quote! {
            fn revision_content(
                &self,
            ) -> ::core::option::Option<
                ::loggable::__private::serde_json::Result<::loggable::__private::serde_json::Value>,
            > {
                ::core::option::Option::Some(::loggable::__private::serde_json::to_value(self))
            }
        }
    });
    let live_title = model.attrs.live_title.as_ref().map(|field| {
        quote! {
            fn live_title(&self) -> ::core::option::Option<::std::string::String> {
                ::core::option::Option::Some(::std::string::ToString::to_string(&self.#field))
            }
        }
    });
    let draft_state_read = caps.draft_state.then(|| {
        let schedule = if caps.scheduling {
            quote!(go_live_at: self.go_live_at, expire_at: self.expire_at, expired: self.expired,)
        } else {
            quote!(go_live_at: None, expire_at: None, expired: false,)
        };
        quote! {
            fn draft_state(&self) -> ::core::option::Option<::loggable::model::DraftState> {
                ::core::option::Option::Some(::loggable::model::DraftState {
                    live: self.live,
                    has_unpublished_changes: self.has_unpublished_changes,
                    first_published_at: self.first_published_at,
                    last_published_at: self.last_published_at,
                    live_revision_id: self.live_revision_id,
                    latest_revision_id: self.latest_revision_id,
                    #schedule
                })
            }
        }
    });
    let lock_state_read = caps.lockable.then(|| {
        quote! {
            fn lock_state(&self) -> ::core::option::Option<::loggable::model::LockState> {
                ::core::option::Option::Some(::loggable::model::LockState {
                    locked: self.locked,
                    locked_at: self.locked_at,
                    locked_by: self.locked_by.as_ref().map(::loggable::UserKey::to_user_id),
                })
            }
        }
    });
    let (record_revision, record_revision_bound) = if caps.draft_state {
        let bound = executes(quote! {
            #dsl::Update<#by_key_type, #dsl::Eq<#table::latest_revision_id, ::core::option::Option<i64>>>
        });
        let method = quote! {
            fn record_latest_revision(
                conn: &mut __C,
                key: &Self::Key,
                revision_id: i64,
            ) -> #diesel::QueryResult<()> {
                use #diesel::prelude::*;
                #update_by_key
                .set(#table::latest_revision_id.eq(::core::option::Option::Some(revision_id)))
                .execute(conn)
                .map(|_| ())
            }
        };
        (Some(method), Some(bound))
    } else {
        (None, None)
    };
    let find_bound = loads(quote!(#dsl::Limit<#by_key_type>));
    let find_many_bound = loads(by_keys_type.clone());
    let delete_bound = executes(quote!(#dsl::delete<#by_keys_type>));
    let connection = quote!(__C: ::loggable::db::LogConnection + #diesel::Connection);

    let model_impl = quote! {
        impl ::loggable::model::Model for #ident {
            const CONTENT_TYPE: &'static str = #ident::CONTENT_TYPE;
            type Key = #key_type;

            fn key(&self) -> Self::Key {
                ::core::clone::Clone::clone(&self.#key_field)
            }

            fn field_changes(
                old: &Self,
                new: &Self,
            ) -> ::loggable::__private::serde_json::Map<
                ::std::string::String,
                ::loggable::__private::serde_json::Value,
            > {
                let mut changes = ::loggable::__private::serde_json::Map::new();
                #(#changes)*
                changes
            }

            #revision_content
            #live_title
            #draft_state_read
            #lock_state_read
        }

        impl<__C> ::loggable::model::ModelStore<__C> for #ident
        where
            #connection,
            #find_bound,
            #find_many_bound,
            #save_bound,
            #delete_bound,
            #record_revision_bound
        {
            fn find(
                conn: &mut __C,
                key: &Self::Key,
            ) -> #diesel::QueryResult<::core::option::Option<Self>> {
                use #diesel::prelude::*;
                #by_key
                    .first::<Self>(conn)
                    .optional()
            }

            fn find_many(
                conn: &mut __C,
                keys: &[Self::Key],
            ) -> #diesel::QueryResult<::std::vec::Vec<Self>> {
                use #diesel::prelude::*;
                #table::table
                    .filter(#table::#key_column.eq_any(keys.to_vec()))
                    .load::<Self>(conn)
            }

            fn save_row(&self, conn: &mut __C) -> #diesel::QueryResult<usize> {
                use #diesel::prelude::*;
                let key = &self.#key_field;
                #update_by_key
                .set((#(#changeset,)*))
                .execute(conn)
            }

            fn delete_rows(
                conn: &mut __C,
                keys: &[Self::Key],
            ) -> #diesel::QueryResult<usize> {
                use #diesel::prelude::*;
                #diesel::delete(#table::table.filter(#table::#key_column.eq_any(keys.to_vec())))
                    .execute(conn)
            }

            #record_revision
        }
    };

    let lock_impl = caps.lockable.then(|| {
        let (_, bound) = store_columns(&["locked", "locked_at", "locked_by"]);
        let locked_by_type = field_type("locked_by");
        quote! {
            impl<__C> ::loggable::model::Lockable<__C> for #ident
            where
                #connection,
                Self: ::loggable::model::ModelStore<__C>,
                #bound,
            {
                fn store_lock_state(
                    conn: &mut __C,
                    key: &Self::Key,
                    state: &::loggable::model::LockState,
                ) -> #diesel::QueryResult<Self> {
                    use #diesel::prelude::*;
                    // The acting user's key in this table's own key type.
                    let locked_by: #locked_by_type = match &state.locked_by {
                        ::core::option::Option::None => ::core::option::Option::None,
                        ::core::option::Option::Some(user) => ::core::option::Option::Some(
                            ::loggable::UserKey::from_user_id(user).ok_or_else(|| {
                                #diesel::result::Error::SerializationError(::std::boxed::Box::from(
                                    ::std::format!("user key '{user}' does not fit the locked_by column"),
                                ))
                            })?,
                        ),
                    };
                    #update_by_key
                    .set((
                        #table::locked.eq(state.locked),
                        #table::locked_at.eq(state.locked_at),
                        #table::locked_by.eq(locked_by),
                    ))
                    .execute(conn)?;
                    <Self as ::loggable::model::ModelStore<__C>>::find(conn, key)?
                        .ok_or(#diesel::result::Error::NotFound)
                }
            }
        }
    });

    let draft_impl = caps.draft_state.then(|| {
        let mut columns = vec![
            "live",
            "has_unpublished_changes",
            "first_published_at",
            "last_published_at",
            "live_revision_id",
            "latest_revision_id",
        ];
        if caps.scheduling {
            columns.extend(["go_live_at", "expire_at", "expired"]);
        }
        let (idents, bound) = store_columns(&columns);
        quote! {
            impl<__C> ::loggable::model::DraftStateful<__C> for #ident
            where
                #connection,
                Self: ::loggable::model::ModelStore<__C>,
                #bound,
            {
                fn store_draft_state(
                    conn: &mut __C,
                    key: &Self::Key,
                    state: &::loggable::model::DraftState,
                ) -> #diesel::QueryResult<Self> {
                    use #diesel::prelude::*;
                    #update_by_key
                    .set((#(#table::#idents.eq(state.#idents),)*))
                    .execute(conn)?;
                    <Self as ::loggable::model::ModelStore<__C>>::find(conn, key)?
                        .ok_or(#diesel::result::Error::NotFound)
                }
            }
        }
    });

    let schedule_impl = caps.scheduling.then(|| {
        let expired_bound = loads(quote! {
            #dsl::Filter<
                #dsl::Filter<#table::table, #dsl::Eq<#table::live, bool>>,
                #dsl::LtEq<#table::expire_at, ::loggable::__private::chrono::NaiveDateTime>,
            >
        });
        quote! {
            impl<__C> ::loggable::model::Scheduled<__C> for #ident
            where
                #connection,
                Self: ::loggable::model::DraftStateful<__C>,
                #expired_bound,
            {
                fn expired_rows(
                    conn: &mut __C,
                    now: ::loggable::__private::chrono::NaiveDateTime,
                ) -> #diesel::QueryResult<::std::vec::Vec<Self>> {
                    use #diesel::prelude::*;
                    #table::table
                        .filter(#table::live.eq(true))
                        .filter(#table::expire_at.le(now))
                        .load::<Self>(conn)
                }
            }
        }
    });

    // The insert `create` runs, on the `new = Type` insertable. Implemented on `&Type` in an
    // impl header (where a lifetime the type hides may stay elided) and named through `Self`.
    let new_row_impl = model.attrs.new.as_ref().map(|new_type| {
        quote! {
            impl<'__new, __C> ::loggable::model::NewRow<__C, #ident> for &'__new #new_type
            where
                __C: #diesel::Connection,
                #diesel::query_builder::InsertStatement<
                    #table::table,
                    <Self as #diesel::Insertable<#table::table>>::Values,
                >: #diesel::query_dsl::LoadQuery<'__new, __C, #ident>,
            {
                fn insert_row(self, conn: &mut __C) -> #diesel::QueryResult<#ident> {
                    use #diesel::prelude::*;
                    #diesel::insert_into(#table::table)
                        .values(self)
                        .get_result::<#ident>(conn)
                }
            }
        }
    });
    let methods = inherent_methods(model, &caps, table, key);
    quote! {
        #model_impl
        #lock_impl
        #draft_impl
        #schedule_impl
        #new_row_impl
        #methods
    }
}

fn inherent_methods(
    model: &Model<'_>,
    caps: &Capabilities,
    table: &Path,
    key: &ModelField<'_>,
) -> TokenStream {
    let diesel = quote!(::loggable::__private::diesel);
    let dsl = quote!(#diesel::dsl);
    let ident = &model.input.ident;
    let conn = quote!(conn: &mut __C);
    let options = quote!(options: &::loggable::model::LogOptions);
    let result = |ty: TokenStream| quote!(::loggable::Result<#ty>);
    let (key_column, key_type) = (&key.column, &key.field.ty);
    // What each operation needs of the connection: the model's statements compile for it.
    let stores = |capability: TokenStream| {
        quote! {
            __C: ::loggable::db::LogConnection + #diesel::Connection,
            Self: #capability,
        }
    };
    let store = stores(quote!(::loggable::model::ModelStore<__C>));
    let lockable = stores(quote!(::loggable::model::Lockable<__C>));
    let drafts = stores(quote!(::loggable::model::DraftStateful<__C>));
    let scheduled = stores(quote!(::loggable::model::Scheduled<__C>));
    // The rows a set-based operation touches: `filter` on the table.
    let filter_bound = quote! {
        #store
        #table::table: #diesel::query_dsl::methods::FilterDsl<F>,
        #dsl::Filter<#table::table, F>: #diesel::query_dsl::LoadQuery<'static, __C, Self>,
    };
    // A set-based update: `filter` as above, `changes` applied to the matching keys.
    let update_bound = quote! {
        #filter_bound
        U: #diesel::AsChangeset<Target = #table::table>,
        #dsl::Update<
            #dsl::Filter<#table::table, #dsl::EqAny<#table::#key_column, ::std::vec::Vec<#key_type>>>,
            U,
        >: #diesel::query_dsl::methods::ExecuteDsl<__C>,
    };
    let load_matching = quote! {
        #table::table
            .filter(filter)
            .load::<Self>(conn)
            .map_err(|source| ::loggable::Error::Database {
                context: "finding the rows to change",
                source,
            })?
    };
    let result_unit = result(quote!(()));
    let result_self = result(quote!(Self));
    let result_vec = result(quote!(::std::vec::Vec<Self>));
    let result_count = result(quote!(usize));
    let model_key = quote!(&<Self as ::loggable::model::Model>::key(self));

    let mut methods = vec![quote! {
        /// Reads the row with `key`.
        pub fn find<__C>(#conn, key: &<Self as ::loggable::model::Model>::Key) -> #result_self
        where
            #store
        {
            ::loggable::model::find::<Self, __C>(conn, key)
        }

        /// Saves this value over its row and logs `wagtail.edit` with the changed fields.
        pub fn update<__C>(&self, #conn) -> #result_unit
        where
            #store
        {
            ::loggable::model::update(conn, self, &::loggable::model::LogOptions::new())
        }

        /// [`update`](Self::update) with per-call logging options.
        pub fn update_with<__C>(&self, #conn, #options) -> #result_unit
        where
            #store
        {
            ::loggable::model::update(conn, self, options)
        }

        /// [`update`](Self::update) when the caller holds the stored row `old` already
        /// (no extra read).
        pub fn update_over<__C>(&self, #conn, old: &Self, #options) -> #result_unit
        where
            #store
        {
            ::loggable::model::update_from(conn, old, self, options)
        }
    }];

    if model.attrs.custom_delete.is_none() {
        methods.push(quote! {
        /// Logs `wagtail.delete` (deleted = true) and deletes the row, in one transaction.
        pub fn delete<__C>(&self, #conn) -> #result_unit
        where
            #store
        {
            ::loggable::model::delete(conn, self, &::loggable::model::LogOptions::new())
        }

        /// [`delete`](Self::delete) with per-call logging options.
        pub fn delete_with<__C>(&self, #conn, #options) -> #result_unit
        where
            #store
        {
            ::loggable::model::delete(conn, self, options)
        }

        /// Deletes every row matching `filter`, logging one `wagtail.delete` per row with
        /// multi-row INSERTs, in one transaction. Returns how many rows went.
        pub fn delete_where<__C, F>(#conn, filter: F) -> #result_count
        where
            #filter_bound
        {
            Self::delete_where_with(conn, filter, &::loggable::model::LogOptions::new())
        }

        /// [`delete_where`](Self::delete_where) with per-call logging options.
        pub fn delete_where_with<__C, F>(#conn, filter: F, #options) -> #result_count
        where
            #filter_bound
        {
            use #diesel::prelude::*;
            ::loggable::db::transaction(conn, |conn| {
                let rows = #load_matching;
                ::loggable::model::delete_many(conn, &rows, options)
            })
        }
        });
    }

    if model.attrs.new.is_some() {
        methods.push(quote! {
        /// Inserts `new` and logs `wagtail.create` in one transaction.
        pub fn create<__C, __N>(#conn, new: __N) -> #result_self
        where
            #store
            __N: ::loggable::model::NewRow<__C, Self>,
        {
            Self::create_with(conn, new, &::loggable::model::LogOptions::new())
        }

        /// [`create`](Self::create) with per-call logging options.
        pub fn create_with<__C, __N>(#conn, new: __N, #options) -> #result_self
        where
            #store
            __N: ::loggable::model::NewRow<__C, Self>,
        {
            ::loggable::model::create(conn, options, |conn| new.insert_row(conn))
        }
        });
    }

    methods.push(quote! {
        /// Applies `changes` to every row matching `filter` with one UPDATE, and logs one
        /// `wagtail.edit` per row (with its changed fields) with multi-row INSERTs, in one
        /// transaction. Returns the rows as stored afterwards.
        pub fn update_where<__C, F, U>(#conn, filter: F, changes: U) -> #result_vec
        where
            #update_bound
        {
            Self::update_where_with(conn, filter, changes, &::loggable::model::LogOptions::new())
        }

        /// [`update_where`](Self::update_where) with per-call logging options.
        pub fn update_where_with<__C, F, U>(#conn, filter: F, changes: U, #options) -> #result_vec
        where
            #update_bound
        {
            // Outside this method's where-clause, whose `FilterDsl<F>` would otherwise be
            // the only `filter` the compiler considers for the table.
            fn apply<__C, U>(
                conn: &mut __C,
                keys: &[#key_type],
                changes: U,
            ) -> #diesel::QueryResult<usize>
            where
                __C: #diesel::Connection,
                U: #diesel::AsChangeset<Target = #table::table>,
                #dsl::Update<
                    #dsl::Filter<#table::table, #dsl::EqAny<#table::#key_column, ::std::vec::Vec<#key_type>>>,
                    U,
                >: #diesel::query_dsl::methods::ExecuteDsl<__C>,
            {
                use #diesel::prelude::*;
                #diesel::update(#table::table.filter(#table::#key_column.eq_any(keys.to_vec())))
                    .set(changes)
                    .execute(conn)
            }
            use #diesel::prelude::*;
            ::loggable::db::transaction(conn, |conn| {
                let rows = #load_matching;
                ::loggable::model::update_many(conn, rows, options, move |conn, keys| {
                    apply(conn, keys, changes)
                })
            })
        }
    });

    if caps.lockable {
        methods.push(quote! {
            /// Locks the row for user `by` and logs `wagtail.lock` as `by`; a locked row is
            /// left alone and nothing is logged. Returns the row as stored. Until unlocked,
            /// only `by` may update, publish or delete it.
            pub fn lock<__C>(&self, #conn, by: impl ::core::convert::Into<::loggable::UserId>) -> #result_self
            where
                #lockable
            {
                self.lock_with(conn, by, &::loggable::model::LogOptions::new())
            }

            /// [`lock`](Self::lock) with per-call logging options.
            pub fn lock_with<__C>(&self, #conn, by: impl ::core::convert::Into<::loggable::UserId>, #options) -> #result_self
            where
                #lockable
            {
                ::loggable::model::lock::<Self, __C>(conn, #model_key, by, options)
            }

            /// Unlocks the row as user `by`, its lock's holder, and logs `wagtail.unlock`; an
            /// unlocked row is left alone and nothing is logged. Returns the row as stored.
            pub fn unlock<__C>(&self, #conn, by: impl ::core::convert::Into<::loggable::UserId>) -> #result_self
            where
                #lockable
            {
                self.unlock_with(conn, by, &::loggable::model::LogOptions::new())
            }

            /// [`unlock`](Self::unlock) with per-call logging options
            /// ([`override_lock`](::loggable::model::LogOptions::override_lock) for an
            /// administrator's unlock).
            pub fn unlock_with<__C>(&self, #conn, by: impl ::core::convert::Into<::loggable::UserId>, #options) -> #result_self
            where
                #lockable
            {
                ::loggable::model::unlock::<Self, __C>(conn, #model_key, by, options)
            }
        });
    }

    if caps.draft_state {
        let revision = quote!(::loggable::revision::Revision);
        methods.push(quote! {
            /// Saves this value as a draft revision and logs `wagtail.edit`.
            pub fn save_draft<__C>(&self, #conn) -> ::loggable::Result<#revision>
            where
                #drafts
            {
                ::loggable::model::save_draft(conn, self, &::loggable::model::LogOptions::new())
            }

            /// [`save_draft`](Self::save_draft) with per-call logging options.
            pub fn save_draft_with<__C>(&self, #conn, #options) -> ::loggable::Result<#revision>
            where
                #drafts
            {
                ::loggable::model::save_draft(conn, self, options)
            }

            /// Publishes revision `revision_id`: [`wagtail.rename`] → `wagtail.publish`, or
            /// `wagtail.publish.schedule` when its `go_live_at` is in the future.
            pub fn publish<__C>(&self, #conn, revision_id: i64) -> #result_self
            where
                #drafts
            {
                self.publish_with(conn, revision_id, &::loggable::model::LogOptions::new())
            }

            /// [`publish`](Self::publish) with per-call logging options.
            pub fn publish_with<__C>(&self, #conn, revision_id: i64, #options) -> #result_self
            where
                #drafts
            {
                ::loggable::model::publish::<Self, __C>(conn, #model_key, revision_id, options)
            }

            /// Saves this value as a draft and publishes it, in one transaction.
            pub fn save_and_publish<__C>(&self, #conn) -> #result_self
            where
                #drafts
            {
                self.save_and_publish_with(conn, &::loggable::model::LogOptions::new())
            }

            /// [`save_and_publish`](Self::save_and_publish) with per-call logging options.
            pub fn save_and_publish_with<__C>(&self, #conn, #options) -> #result_self
            where
                #drafts
            {
                ::loggable::db::transaction(conn, |conn| {
                    let revision = ::loggable::model::save_draft(conn, self, options)?;
                    ::loggable::model::publish::<Self, __C>(conn, #model_key, revision.id, options)
                })
            }

            /// Withdraws the live version and logs `wagtail.unpublish`; nothing when not live.
            pub fn unpublish<__C>(&self, #conn) -> #result_self
            where
                #drafts
            {
                self.unpublish_with(conn, &::loggable::model::LogOptions::new())
            }

            /// [`unpublish`](Self::unpublish) with per-call logging options.
            pub fn unpublish_with<__C>(&self, #conn, #options) -> #result_self
            where
                #drafts
            {
                ::loggable::model::unpublish::<Self, __C>(conn, #model_key, options)
            }
        });
    }

    if caps.scheduling {
        methods.push(quote! {
            /// Cancels the scheduled publication and logs `wagtail.schedule.cancel`; returns the
            /// revision that was scheduled, or `None` when none was.
            pub fn cancel_schedule<__C>(&self, #conn) -> ::loggable::Result<::core::option::Option<::loggable::revision::Revision>>
            where
                #drafts
            {
                ::loggable::model::cancel_schedule::<Self, __C>(conn, #model_key, &::loggable::model::LogOptions::new())
            }

            /// [`cancel_schedule`](Self::cancel_schedule) with per-call logging options.
            pub fn cancel_schedule_with<__C>(&self, #conn, #options) -> ::loggable::Result<::core::option::Option<::loggable::revision::Revision>>
            where
                #drafts
            {
                ::loggable::model::cancel_schedule::<Self, __C>(conn, #model_key, options)
            }

            /// Publishes every revision due at `now` and withdraws every expired row
            /// (no user, no uuid).
            pub fn run_scheduled<__C>(
                #conn,
                now: ::loggable::__private::chrono::DateTime<::loggable::__private::chrono::Utc>,
            ) -> ::loggable::Result<::loggable::model::ScheduledRun>
            where
                #scheduled
            {
                ::loggable::model::run_scheduled::<Self, __C>(conn, now, &::loggable::model::LogOptions::new())
            }
        });
    }

    if caps.privacy {
        methods.push(quote! {
            /// Sets who may read this object and logs the view-restriction entry.
            pub fn set_restriction<__C>(&self, #conn, restriction: &::loggable::privacy::Restriction) -> #result_unit
            where
                __C: ::loggable::db::LogConnection,
            {
                ::loggable::privacy::set_restriction(conn, self, restriction, &::loggable::model::LogOptions::new())
            }

            /// [`set_restriction`](Self::set_restriction) with per-call logging options.
            pub fn set_restriction_with<__C>(&self, #conn, restriction: &::loggable::privacy::Restriction, #options) -> #result_unit
            where
                __C: ::loggable::db::LogConnection,
            {
                ::loggable::privacy::set_restriction(conn, self, restriction, options)
            }

            /// Removes the restriction and logs `wagtail.view_restriction.delete`.
            pub fn remove_restriction<__C>(&self, #conn) -> #result_unit
            where
                __C: ::loggable::db::LogConnection,
            {
                ::loggable::privacy::remove_restriction(conn, self, &::loggable::model::LogOptions::new())
            }

            /// The stored restriction, if any.
            pub fn restriction<__C>(&self, #conn) -> ::loggable::Result<::core::option::Option<::loggable::privacy::ViewRestriction>>
            where
                __C: ::loggable::db::LogConnection,
            {
                ::loggable::privacy::restriction_of(conn, self)
            }
        });
    }

    quote! {
        impl #ident {
            #(#methods)*
        }
    }
}
