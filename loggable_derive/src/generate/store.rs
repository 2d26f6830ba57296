//! The statements of a model with a Diesel table: `Model`, `ModelStore` and the capability
//! traits (`Lockable`, `DraftStateful`, `Scheduled`), `FilterRows`, `ChangeRows`, `Deletable`
//! and `NewRow`. Each statement's type is named in its impl's where-clause, so an impl exists
//! exactly for the connections the model's statements compile for.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use crate::check::{Model, ModelField, option_inner};

pub fn generate(model: &Model<'_>) -> TokenStream {
    let (Some(table), Some(key)) = (&model.table, model.primary_key()) else {
        return TokenStream::new();
    };
    let caps = &model.caps;
    let diesel = quote!(::diesel);
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
    let changeset: Vec<TokenStream> = content_fields
        .iter()
        .map(|f| {
            let (field, column) = (f.ident, &f.column);
            quote!(#table::#column.eq(::core::clone::Clone::clone(&self.#field)))
        })
        .collect();
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
            let compare = if f.attrs.redact.is_some() {
                quote!(compare_redacted)
            } else if is_datetime(&f.field.ty) {
                quote!(compare_datetime)
            } else {
                quote!(compare)
            };
            quote!(changes.#compare(#name, &old.#field, &new.#field);)
        });
    let revision_content = caps.revisions.then(|| {
        quote! {
            fn revision_content(
                &self,
            ) -> ::core::option::Option<::loggable::model::RevisionContent> {
                ::core::option::Option::Some(::loggable::model::RevisionContent::of(self))
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
    // Each bookkeeping field read where its declared type shows, so a field of the wrong type
    // is one error at that field.
    let read = |name: &str| {
        let ident = Ident::new(name, proc_macro2::Span::call_site());
        match model.field(name) {
            Some(field) => quote_spanned!(field.field.ty.span()=> self.#ident),
            None => quote!(self.#ident),
        }
    };
    let draft_state_read = caps.draft_state.then(|| {
        let fields = [
            "live",
            "has_unpublished_changes",
            "first_published_at",
            "last_published_at",
            "live_revision_id",
            "latest_revision_id",
        ]
        .map(|name| (Ident::new(name, proc_macro2::Span::call_site()), read(name)));
        let (names, values): (Vec<_>, Vec<_>) = fields.into_iter().unzip();
        let schedule = if caps.scheduling {
            let (go_live_at, expire_at, expired) =
                (read("go_live_at"), read("expire_at"), read("expired"));
            quote!(go_live_at: #go_live_at, expire_at: #expire_at, expired: #expired,)
        } else {
            quote! {
                go_live_at: ::core::option::Option::None,
                expire_at: ::core::option::Option::None,
                expired: false,
            }
        };
        quote! {
            fn draft_state(&self) -> ::core::option::Option<::loggable::model::DraftState> {
                ::core::option::Option::Some(::loggable::model::DraftState {
                    #(#names: #values,)*
                    #schedule
                })
            }
        }
    });
    let lock_state_read = caps.lockable.then(|| {
        let (locked, locked_at, locked_by) = (read("locked"), read("locked_at"), read("locked_by"));
        quote! {
            fn lock_state(&self) -> ::core::option::Option<::loggable::model::LockState> {
                ::core::option::Option::Some(::loggable::model::LockState {
                    locked: #locked,
                    locked_at: #locked_at,
                    locked_by: #locked_by.as_ref().map(::loggable::UserKey::to_user_id),
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
            type Key = #key_type;

            fn key(&self) -> Self::Key {
                ::core::clone::Clone::clone(&self.#key_field)
            }

            fn field_changes(old: &Self, new: &Self) -> ::loggable::model::FieldChanges {
                let mut changes = ::loggable::model::FieldChanges::new();
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

            // The same UPDATE for loggable to run with the entry's INSERT as one statement,
            // when it compiles for PostgreSQL and loggable is built with it.
            ::loggable::__postgres_only! {
                fn postgres_save(
                    &self,
                ) -> ::core::option::Option<::loggable::model::PostgresStatement<'_>> {
                    use #diesel::prelude::*;
                    #[allow(unused_imports)]
                    use ::loggable::model::__private::{DeclinePostgres as _, OfferPostgres as _};
                    let key = &self.#key_field;
                    let offer = ::loggable::model::__private::PostgresOffer::new(
                        #update_by_key
                            .set((#(#changeset,)*))
                            .returning(#table::#key_column),
                    );
                    (&offer).postgres_statement()
                }
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
            impl<__C> ::loggable::publishing::DraftStateful<__C> for #ident
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
        // The instant type as the model writes it (`Option<NaiveDateTime>` → `NaiveDateTime`).
        let instant = model
            .field("expire_at")
            .and_then(|field| option_inner(&field.field.ty))
            .map_or_else(|| quote!(()), |inner| quote!(#inner));
        let expired_bound = loads(quote! {
            #dsl::Filter<
                #dsl::Filter<#table::table, #dsl::Eq<#table::live, bool>>,
                #dsl::LtEq<#table::expire_at, #instant>,
            >
        });
        quote! {
            impl<__C> ::loggable::publishing::Scheduled<__C> for #ident
            where
                #connection,
                Self: ::loggable::publishing::DraftStateful<__C>,
                #expired_bound,
            {
                fn expired_rows(
                    conn: &mut __C,
                    now: #instant,
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
        // `new = Self` names the model itself; outside an impl of it, that is its name.
        let new_type: syn::Type = match new_type {
            syn::Type::Path(path) if path.qself.is_none() && path.path.is_ident("Self") => {
                syn::parse_quote_spanned!(new_type.span()=> #ident)
            }
            other => other.clone(),
        };
        let new_type = &new_type;
        // `create` inserts `&NewType` into the model's table: a type made for another table is
        // one error here, at the attribute.
        let insertable = quote_spanned! {new_type.span()=>
            fn __new_rows_go_to_the_model_table<T: #diesel::Insertable<#table::table>>() {}
            let _ = __new_rows_go_to_the_model_table::<&#new_type>;
        };
        // PostgreSQL and SQLite insert the row and return it in one statement.
        let insert_returning = [
            ("__postgres_only", "postgres", "PgConnection", "Postgres"),
            ("__sqlite_only", "sqlite", "SqliteConnection", "Sqlite"),
        ]
        .map(|(only, backend, connection, offered)| {
            let only = format_ident!("{only}");
            let method = format_ident!("insert_{backend}");
            let load = format_ident!("load_{backend}");
            let connection = format_ident!("{connection}");
            let (offer, decline) = (
                format_ident!("Offer{offered}Load"),
                format_ident!("Decline{offered}Load"),
            );
            quote! {
                ::loggable::#only! {
                    fn #method(
                        self,
                        conn: &mut ::loggable::model::__private::#connection,
                    ) -> ::core::option::Option<#diesel::QueryResult<#ident>> {
                        #[allow(unused_imports)]
                        use ::loggable::model::__private::{
                            DeclineInsert as _, #decline as _, OfferInsert as _, #offer as _,
                        };
                        let offer = ::loggable::model::__private::StatementOffer::<_, #ident>::new(
                            (&::loggable::model::__private::InsertOffer::new(#table::table, self))
                                .insert_statement()?,
                        );
                        (&offer).#load(conn)
                    }
                }
            }
        });
        quote! {
            const _: () = {
                #insertable
            };

            // The INSERT on each backend loggable is built with, taken where it compiles.
            impl<'__new> ::loggable::model::NewRowStatements<#ident> for &'__new #new_type {
                #(#insert_returning)*
                ::loggable::__mysql_only! {
                    // No RETURNING on MySQL: the row is read back by its generated key.
                    fn insert_mysql(
                        self,
                        conn: &mut ::loggable::model::__private::MysqlConnection,
                    ) -> ::core::option::Option<#diesel::QueryResult<#ident>> {
                        use #diesel::prelude::*;
                        #[allow(unused_imports)]
                        use ::loggable::model::__private::{
                            DeclineInsert as _, DeclineKey as _, DeclineMysqlInsert as _,
                            DeclineMysqlLoad as _, OfferInsert as _, OfferKey as _,
                            OfferMysqlInsert as _, OfferMysqlLoad as _,
                        };
                        let offer = ::loggable::model::__private::StatementOffer::<_, #ident>::new(
                            (&::loggable::model::__private::InsertOffer::new(#table::table, self))
                                .insert_statement()?,
                        );
                        let id = match (&offer).insert_mysql(conn)? {
                            ::core::result::Result::Ok(id) => id,
                            ::core::result::Result::Err(error) => {
                                return ::core::option::Option::Some(::core::result::Result::Err(error));
                            }
                        };
                        let key = match (&::loggable::model::__private::KeyFromId::<#key_type>::new(id)).key() {
                            ::core::result::Result::Ok(key) => key,
                            ::core::result::Result::Err(error) => {
                                return ::core::option::Option::Some(::core::result::Result::Err(error));
                            }
                        };
                        let read_back = ::loggable::model::__private::StatementOffer::<_, #ident>::new(
                            #table::table.filter(#table::#key_column.eq(key)),
                        );
                        (&read_back).load_mysql(conn)
                    }
                }
            }
        }
    });
    let set_based = set_based(model, table, key);
    quote! {
        #model_impl
        #lock_impl
        #draft_impl
        #schedule_impl
        #new_row_impl
        #set_based
    }
}

/// `Deletable` (unless the model deletes its own way), `FilterRows` and `ChangeRows`: the
/// statements of the set-based operations, for every filter and changeset Diesel accepts on
/// the table.
fn set_based(model: &Model<'_>, table: &syn::Path, key: &ModelField<'_>) -> TokenStream {
    let ident = &model.input.ident;
    let diesel = quote!(::diesel);
    let dsl = quote!(#diesel::dsl);
    let (key_column, key_type) = (&key.column, &key.field.ty);
    let connection = quote!(__C: ::loggable::db::LogConnection + #diesel::Connection);
    let deletable = model
        .attrs
        .custom_delete
        .is_none()
        .then(|| quote!(impl ::loggable::model::Deletable for #ident {}));
    quote! {
        #deletable

        impl<__C, __F> ::loggable::model::FilterRows<__C, __F> for #ident
        where
            #connection,
            Self: ::loggable::model::ModelStore<__C>,
            #table::table: #diesel::query_dsl::methods::FilterDsl<__F>,
            #dsl::Filter<#table::table, __F>: #diesel::query_dsl::LoadQuery<'static, __C, Self>,
        {
            fn load_matching(conn: &mut __C, filter: __F) -> #diesel::QueryResult<::std::vec::Vec<Self>> {
                use #diesel::prelude::*;
                #diesel::query_dsl::methods::FilterDsl::filter(#table::table, filter).load::<Self>(conn)
            }
        }

        impl<__C, __U> ::loggable::model::ChangeRows<__C, __U> for #ident
        where
            #connection,
            Self: ::loggable::model::ModelStore<__C>,
            __U: #diesel::AsChangeset<Target = #table::table>,
            #dsl::Update<
                #dsl::Filter<#table::table, #dsl::EqAny<#table::#key_column, ::std::vec::Vec<#key_type>>>,
                __U,
            >: #diesel::query_dsl::methods::ExecuteDsl<__C>,
        {
            fn change_rows(
                conn: &mut __C,
                keys: &[#key_type],
                changes: __U,
            ) -> #diesel::QueryResult<usize> {
                use #diesel::prelude::*;
                #diesel::update(#table::table.filter(#table::#key_column.eq_any(keys.to_vec())))
                    .set(changes)
                    .execute(conn)
            }
        }
    }
}

/// Whether `ty` is a chrono datetime, or an `Option` of one, by its last path segment
/// (`NaiveDateTime`, `DateTime<Tz>`): its changes are then written in `data`'s datetime form.
fn is_datetime(ty: &syn::Type) -> bool {
    let syn::Type::Path(path) = ty else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    if last.ident == "Option" {
        return match &last.arguments {
            syn::PathArguments::AngleBracketed(args) => matches!(
                args.args.first(),
                Some(syn::GenericArgument::Type(inner)) if is_datetime(inner)
            ),
            _ => false,
        };
    }
    last.ident == "NaiveDateTime" || last.ident == "DateTime"
}
