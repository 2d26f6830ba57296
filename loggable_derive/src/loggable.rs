//! `#[derive(Loggable)]`: parse, check, generate.

use proc_macro2::TokenStream;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::token::Comma;
use syn::{Data, DeriveInput, Field, Fields, Ident, Path, Type};

use crate::attr::{self, Errors, FieldAttrs, ModelAttrs};
use crate::lifecycle;

/// One field of the model as the derive sees it.
pub struct ModelField<'a> {
    pub field: &'a Field,
    pub ident: &'a Ident,
    /// The Diesel column (the field name unless `#[diesel(column_name = ...)]`).
    pub column: Ident,
    pub attrs: FieldAttrs,
}

/// Everything the generators need, checked.
pub struct Model<'a> {
    pub input: &'a DeriveInput,
    pub attrs: ModelAttrs,
    pub fields: Vec<ModelField<'a>>,
    primary_key: Option<usize>,
    title: Option<usize>,
    /// The Diesel table module, when the model has one (lifecycle operations need it).
    pub table: Option<Path>,
}

pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let named = named_fields(input)?;
    let mut errors = Errors::default();
    let attrs = attr::model_attrs(&input.attrs, &mut errors);
    let fields: Vec<ModelField<'_>> = named
        .iter()
        .filter_map(|field| {
            let ident = field.ident.as_ref()?;
            let column = attr::diesel_option(&field.attrs, "column_name")
                .and_then(|path| path.get_ident().cloned())
                .unwrap_or_else(|| ident.clone());
            Some(ModelField {
                field,
                ident,
                column,
                attrs: attr::field_attrs(&field.attrs, &mut errors),
            })
        })
        .collect();
    let table = attrs
        .table
        .clone()
        .or_else(|| attr::diesel_option(&input.attrs, "table_name"));
    let fields_ref: &[ModelField<'_>] = &fields;
    // Resolve names to fields; errors are collected so the user sees every one at once.
    let primary_key_index = match &attrs.primary_key {
        Some(name) => find_field(fields_ref, name, "primary_key", &mut errors),
        None => {
            let found = fields_ref.iter().position(|f| f.ident == "id");
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
    if let Some(name) = &attrs.live_title {
        find_field(fields_ref, name, "live_title", &mut errors);
    }
    if let Some(name) = &attrs.content_type_field {
        find_field(fields_ref, name, "content_type_field", &mut errors);
    }
    let title_index = attrs
        .title
        .as_ref()
        .and_then(|name| find_field(fields_ref, name, "title", &mut errors));
    lifecycle::check(
        input,
        &attrs,
        fields_ref,
        primary_key_index.map(|i| &fields_ref[i]),
        table.as_ref(),
        &mut errors,
    );
    errors.finish()?;

    let model = Model {
        input,
        primary_key: primary_key_index,
        title: title_index,
        attrs,
        fields,
        table,
    };
    let loggable_impl = loggable_impl(&model);
    let lifecycle = lifecycle::generate(&model);
    Ok(quote! {
        #loggable_impl
        #lifecycle
    })
}

impl Model<'_> {
    pub fn primary_key(&self) -> Option<&ModelField<'_>> {
        self.primary_key.map(|i| &self.fields[i])
    }

    pub fn title(&self) -> Option<&ModelField<'_>> {
        self.title.map(|i| &self.fields[i])
    }

    /// The type name entries record: the attribute, else `{crate}.{struct in lower case}`.
    pub fn content_type(&self) -> TokenStream {
        match &self.attrs.content_type {
            Some(literal) => quote!(#literal),
            None => {
                let model = self.input.ident.to_string().to_lowercase();
                quote!(::core::concat!(::core::env!("CARGO_CRATE_NAME"), ".", #model))
            }
        }
    }
}

fn loggable_impl(model: &Model<'_>) -> TokenStream {
    let input = model.input;
    let ident = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let type_name = ident.to_string();
    let content_type = model.content_type();
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
    let verbose_name = match &model.attrs.verbose_name {
        Some(literal) => literal.value(),
        None => spaced_lowercase(&type_name),
    };
    let log_table = model
        .attrs
        .log_table
        .as_ref()
        .map(|path| quote!(.log_table(#path)));
    let declared_log_table = model.attrs.log_table.as_ref().map(|path| {
        quote! {
            fn declared_log_table(
                &self,
            ) -> ::core::option::Option<::std::sync::Arc<dyn ::loggable::entry::LogTable>> {
                ::core::option::Option::Some(::std::sync::Arc::new(#path))
            }
        }
    });
    let content_type_of = match &model.attrs.content_type_field {
        Some(field) => quote!(::std::borrow::Cow::Borrowed(&self.#field)),
        None => quote!(::std::borrow::Cow::Borrowed(Self::CONTENT_TYPE)),
    };
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

/// `Some(self.field.to_string())`, or the `Option` field mapped.
fn text_of(field: &ModelField<'_>) -> TokenStream {
    let name = field.ident;
    if is_option(&field.field.ty) {
        quote!(self.#name.as_ref().map(::std::string::ToString::to_string))
    } else {
        quote!(::core::option::Option::Some(::std::string::ToString::to_string(&self.#name)))
    }
}

fn named_fields(input: &DeriveInput) -> syn::Result<&Punctuated<Field, Comma>> {
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

fn find_field(
    fields: &[ModelField<'_>],
    name: &Ident,
    attribute: &str,
    errors: &mut Errors,
) -> Option<usize> {
    let found = fields.iter().position(|f| f.ident == name);
    if found.is_none() {
        let known: Vec<String> = fields.iter().map(|f| f.ident.to_string()).collect();
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

pub fn is_option(ty: &Type) -> bool {
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
