//! Generate: the trait implementations of a checked model, wrapped in an anonymous `const`
//! so they add no names to the user's scope. Every path is absolute (`::loggable`,
//! `::diesel`, `::core`, `::std`), and the generated code names only loggable's public API.

mod store;

use proc_macro2::TokenStream;
use quote::quote;

use crate::check::{Model, ModelField, is_option};

/// Everything `#[derive(Loggable)]` emits for `model`.
pub fn generate(model: &Model<'_>) -> TokenStream {
    let loggable = loggable_impl(model);
    let registered = registered_impl(model);
    let store = store::generate(model);
    let operations = operations(model);
    quote! {
        const _: () = {
            #loggable
            #registered
            #store
            #operations
        };
    }
}

/// The type name entries record: the attribute, else `{crate}.{struct in lower case}`.
fn content_type(model: &Model<'_>) -> TokenStream {
    match &model.attrs.content_type {
        Some(literal) => quote!(#literal),
        None => {
            let name = model.input.ident.to_string().to_lowercase();
            quote!(::core::concat!(::core::env!("CARGO_CRATE_NAME"), ".", #name))
        }
    }
}

fn loggable_impl(model: &Model<'_>) -> TokenStream {
    let input = model.input;
    let ident = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let type_name = ident.to_string();
    let content_type = content_type(model);
    let object_id = match model.primary_key() {
        Some(key) => text_of(key),
        None => quote!(::core::option::Option::None),
    };
    let log_title = match (model.title(), &model.attrs.title_fn) {
        (Some(field), _) => text_of(field),
        (None, Some(method)) => quote!(::core::option::Option::Some(
            ::std::string::ToString::to_string(&self.#method())
        )),
        (None, None) => quote!(::core::option::Option::None),
    };
    let declared_log_table = model.attrs.log_table.as_ref().map(|path| {
        quote! {
            fn declared_log_table(&self) -> ::core::option::Option<::loggable::entry::LogTable> {
                ::core::option::Option::Some(#path)
            }
        }
    });
    let content_type_of = match &model.attrs.content_type_field {
        Some(field) => quote!(::std::borrow::Cow::Borrowed(&self.#field)),
        None => quote!(::std::borrow::Cow::Borrowed(#content_type)),
    };
    quote! {
        impl #impl_generics ::loggable::Loggable for #ident #type_generics #where_clause {
            fn content_type(&self) -> ::std::borrow::Cow<'_, str> {
                #content_type_of
            }

            #declared_log_table

            fn object_id(&self) -> ::core::option::Option<::std::string::String> {
                #object_id
            }

            fn log_title(&self) -> ::core::option::Option<::std::string::String> {
                #log_title
            }

            fn type_name(&self) -> ::std::borrow::Cow<'_, str> {
                ::std::borrow::Cow::Borrowed(#type_name)
            }
        }
    }
}

fn registered_impl(model: &Model<'_>) -> TokenStream {
    let input = model.input;
    let ident = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let content_type = content_type(model);
    let verbose_name = match &model.attrs.verbose_name {
        Some(literal) => literal.value(),
        None => spaced_lowercase(&ident.to_string()),
    };
    let log_table = model
        .attrs
        .log_table
        .as_ref()
        .map(|path| quote!(.log_table(#path)));
    let fields = model.fields.iter().map(|field| {
        let name = field.ident.to_string();
        let label = field
            .attrs
            .verbose_name
            .as_ref()
            .map_or_else(|| name.replace('_', " "), syn::LitStr::value);
        quote!(.field(#name, #label))
    });
    quote! {
        impl #impl_generics ::loggable::model::Registered for #ident #type_generics #where_clause {
            const CONTENT_TYPE: &'static str = #content_type;

            fn model_type() -> ::loggable::registry::ModelType {
                ::loggable::registry::ModelType::new(#content_type)
                    .verbose_name(#verbose_name)
                    #log_table
                    #(#fields)*
            }
        }
    }
}

/// The operation traits the model's capabilities give it (their methods are all provided).
fn operations(model: &Model<'_>) -> TokenStream {
    if model.table.is_none() || model.primary_key().is_none() {
        return TokenStream::new();
    }
    let ident = &model.input.ident;
    let caps = &model.caps;
    let mut traits = vec![quote!(::loggable::model::Lifecycle)];
    if caps.lockable {
        traits.push(quote!(::loggable::model::Locking));
    }
    if caps.draft_state {
        traits.push(quote!(::loggable::publishing::Publishing));
    }
    if caps.privacy {
        traits.push(quote!(::loggable::privacy::Private));
    }
    quote! {
        #(impl #traits for #ident {})*
    }
}

/// `Some(self.field.to_string())`, or the `Option` field mapped.
fn text_of(field: &ModelField<'_>) -> TokenStream {
    let name = field.ident;
    if is_option(&field.field.ty) {
        quote!(self.#name.as_ref().map(::std::string::ToString::to_string))
    } else {
        quote!(::core::option::Option::Some(::std::string::ToString::to_string(&self.#name)))
    }
}

/// `BlogPage` → `blog page`, Django's default verbose name.
fn spaced_lowercase(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}
