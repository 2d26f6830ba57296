//! `#[derive(Loggable)]`: parse, check, generate.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Data, DeriveInput, Field, Fields, Ident, Type};

use crate::attr::{self, Errors};

pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let fields = named_fields(input)?;
    let mut errors = Errors::default();
    let attrs = attr::model_attrs(&input.attrs, &mut errors);
    let field_labels: Vec<(String, Option<syn::LitStr>)> = fields
        .iter()
        .map(|field| {
            let name = field
                .ident
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            (name, attr::field_verbose_name(&field.attrs, &mut errors))
        })
        .collect();

    let primary_key = match &attrs.primary_key {
        Some(name) => find_field(fields, name, "primary_key", &mut errors),
        None => {
            let id = Ident::new("id", Span::call_site());
            let found = fields.iter().find(|f| f.ident.as_ref() == Some(&id));
            if found.is_none() {
                errors.push(syn::Error::new(
                    input.ident.span(),
                    "no primary key: the struct has no `id` field; \
                     add #[loggable(primary_key = your_key_field)]",
                ));
            }
            found
        }
    };
    let title = attrs
        .title
        .as_ref()
        .and_then(|name| find_field(fields, name, "title", &mut errors));
    errors.finish()?;

    let ident = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let type_name = ident.to_string();
    let content_type = match &attrs.content_type {
        Some(literal) => quote!(#literal),
        None => {
            let model = type_name.to_lowercase();
            quote!(::core::concat!(::core::env!("CARGO_CRATE_NAME"), ".", #model))
        }
    };
    let object_id = match primary_key {
        Some(field) => {
            let name = &field.ident;
            if is_option(&field.ty) {
                quote!(self.#name.as_ref().map(::std::string::ToString::to_string))
            } else {
                quote!(::core::option::Option::Some(::std::string::ToString::to_string(&self.#name)))
            }
        }
        None => quote!(::core::option::Option::None),
    };
    let log_title = match (title, &attrs.title_fn) {
        (Some(field), _) => {
            let name = &field.ident;
            if is_option(&field.ty) {
                quote!(self.#name.as_ref().map(::std::string::ToString::to_string))
            } else {
                quote!(::core::option::Option::Some(::std::string::ToString::to_string(&self.#name)))
            }
        }
        (None, Some(method)) => {
            quote!(::core::option::Option::Some(::std::string::ToString::to_string(&self.#method())))
        }
        (None, None) => quote!(::core::option::Option::None),
    };
    let verbose_name = match &attrs.verbose_name {
        Some(literal) => literal.value(),
        None => spaced_lowercase(&type_name),
    };
    let log_table = match &attrs.log_table {
        Some(path) => quote!(.log_table(#path)),
        None => quote!(),
    };
    let fields = field_labels.iter().map(|(name, verbose)| {
        let label = verbose
            .as_ref()
            .map_or_else(|| name.replace('_', " "), syn::LitStr::value);
        quote!(.field(#name, #label))
    });

    Ok(quote! {
        impl #impl_generics #ident #type_generics #where_clause {
            /// The type name this model's entries record.
            pub const CONTENT_TYPE: &'static str = #content_type;

            /// What the registry needs to know of this model; register it at start-up with
            /// `loggable::register_model`.
            pub fn model_type() -> ::loggable::registry::ModelType {
                ::loggable::registry::ModelType::new(Self::CONTENT_TYPE)
                    .verbose_name(#verbose_name)
                    #log_table
                    #(#fields)*
            }
        }

        impl #impl_generics ::loggable::Loggable for #ident #type_generics #where_clause {
            fn content_type(&self) -> ::std::borrow::Cow<'_, str> {
                ::std::borrow::Cow::Borrowed(Self::CONTENT_TYPE)
            }

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
    })
}

fn named_fields(
    input: &DeriveInput,
) -> syn::Result<&syn::punctuated::Punctuated<Field, syn::token::Comma>> {
    match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => Ok(&named.named),
            Fields::Unnamed(_) | Fields::Unit => Err(syn::Error::new(
                input.ident.span(),
                "#[derive(Loggable)] needs a struct with named fields (a Diesel model), \
                 e.g. `struct Sprocket { id: i64, name: String }`",
            )),
        },
        Data::Enum(_) | Data::Union(_) => Err(syn::Error::new(
            input.ident.span(),
            "#[derive(Loggable)] works on structs with named fields only; \
             derive it on the model struct, not on an enum or union",
        )),
    }
}

fn find_field<'a>(
    fields: &'a syn::punctuated::Punctuated<Field, syn::token::Comma>,
    name: &Ident,
    attribute: &str,
    errors: &mut Errors,
) -> Option<&'a Field> {
    let found = fields.iter().find(|f| f.ident.as_ref() == Some(name));
    if found.is_none() {
        let known: Vec<String> = fields
            .iter()
            .filter_map(|f| f.ident.as_ref().map(ToString::to_string))
            .collect();
        errors.push(syn::Error::new(
            name.span(),
            format!(
                "`{attribute} = {name}` names no field of this struct; fields are: {}",
                known.join(", ")
            ),
        ));
    }
    found
}

fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|s| s.ident == "Option"))
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
