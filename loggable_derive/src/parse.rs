//! Parse: the struct's named fields and its `#[loggable(...)]` and `#[diesel(...)]`
//! attributes, collecting every error before failing.

use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::token::Comma;
use syn::{Attribute, Data, DeriveInput, Field, Fields, Ident, LitStr, Path};

/// Collects errors so that a user sees all of them in one compile.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(existing) => existing.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// The struct-level configuration.
#[derive(Default)]
pub struct ModelAttrs {
    pub content_type: Option<LitStr>,
    pub verbose_name: Option<LitStr>,
    pub title: Option<Ident>,
    pub title_fn: Option<Ident>,
    pub primary_key: Option<Ident>,
    pub log_table: Option<Path>,
    pub table: Option<Path>,
    pub content_type_field: Option<Ident>,
    pub new: Option<syn::Type>,
    pub lockable: Option<Ident>,
    pub revisions: Option<Ident>,
    pub draft_state: Option<Ident>,
    pub scheduling: Option<Ident>,
    pub privacy: Option<Ident>,
    pub custom_delete: Option<Ident>,
    pub live_title: Option<Ident>,
}

const MODEL_KEYS: &str = "content_type = \"app.model\", verbose_name = \"...\", title = field, \
                          title_fn = method, primary_key = field, log_table = LOG_TABLE_CONST, \
                          content_type_field = field, table = diesel_table, new = NewType, lockable, revisions, draft_state, \
                          scheduling, privacy, custom_delete, live_title = field";

/// Calls `parse` with each `key` of every `#[loggable(key ...)]` in `attrs`, collecting the
/// errors (an attribute stops at its first error; the others still parse).
fn for_each_key(
    attrs: &[Attribute],
    errors: &mut Errors,
    mut parse: impl FnMut(&str, syn::meta::ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident("loggable")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            parse(&key, meta)
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
}

pub fn model_attrs(attrs: &[Attribute], errors: &mut Errors) -> ModelAttrs {
    let mut parsed = ModelAttrs::default();
    for_each_key(attrs, errors, |key, meta| match key {
        "content_type" => set(&mut parsed.content_type, meta.value()?.parse()?, &meta.path),
        "verbose_name" => set(&mut parsed.verbose_name, meta.value()?.parse()?, &meta.path),
        "title" => set(&mut parsed.title, meta.value()?.parse()?, &meta.path),
        "title_fn" => set(&mut parsed.title_fn, meta.value()?.parse()?, &meta.path),
        "primary_key" => set(&mut parsed.primary_key, meta.value()?.parse()?, &meta.path),
        "log_table" => set(&mut parsed.log_table, meta.value()?.parse()?, &meta.path),
        "table" => set(&mut parsed.table, meta.value()?.parse()?, &meta.path),
        "content_type_field" => set(
            &mut parsed.content_type_field,
            meta.value()?.parse()?,
            &meta.path,
        ),
        "new" => set(&mut parsed.new, meta.value()?.parse()?, &meta.path),
        "lockable" => set(&mut parsed.lockable, flag(&meta)?, &meta.path),
        "revisions" => set(&mut parsed.revisions, flag(&meta)?, &meta.path),
        "draft_state" => set(&mut parsed.draft_state, flag(&meta)?, &meta.path),
        "scheduling" => set(&mut parsed.scheduling, flag(&meta)?, &meta.path),
        "privacy" => set(&mut parsed.privacy, flag(&meta)?, &meta.path),
        "custom_delete" => set(&mut parsed.custom_delete, flag(&meta)?, &meta.path),
        "live_title" => set(&mut parsed.live_title, meta.value()?.parse()?, &meta.path),
        _ => Err(meta.error(format!(
            "unknown loggable attribute `{}`; expected one of: {MODEL_KEYS}",
            path_text(&meta.path)
        ))),
    });
    if let Some(content_type) = &parsed.content_type {
        let value = content_type.value();
        let valid = value
            .split_once('.')
            .is_some_and(|(app, model)| !app.is_empty() && !model.is_empty());
        if !valid {
            errors.push(syn::Error::new(
                content_type.span(),
                "content_type must look like \"app.model\", e.g. \"shop.sprocket\"",
            ));
        }
    }
    if let (Some(_), Some(title_fn)) = (&parsed.title, &parsed.title_fn) {
        errors.push(syn::Error::new(
            title_fn.span(),
            "give either `title = field` or `title_fn = method`, not both",
        ));
    }
    parsed
}

/// A field's `#[loggable(...)]` settings.
#[derive(Default)]
pub struct FieldAttrs {
    pub verbose_name: Option<LitStr>,
    pub skip: Option<Ident>,
    pub redact: Option<Ident>,
    pub managed: Option<Ident>,
}

pub fn field_attrs(attrs: &[Attribute], errors: &mut Errors) -> FieldAttrs {
    let mut parsed = FieldAttrs::default();
    for_each_key(attrs, errors, |key, meta| match key {
        "verbose_name" => set(&mut parsed.verbose_name, meta.value()?.parse()?, &meta.path),
        "skip" => set(&mut parsed.skip, flag(&meta)?, &meta.path),
        "redact" => set(&mut parsed.redact, flag(&meta)?, &meta.path),
        "managed" => set(&mut parsed.managed, flag(&meta)?, &meta.path),
        _ => Err(meta.error(format!(
            "unknown loggable field attribute `{}`; expected one of: \
                     verbose_name = \"...\", skip, redact, managed",
            path_text(&meta.path)
        ))),
    });
    if let (Some(_), Some(redact)) = (&parsed.skip, &parsed.redact) {
        errors.push(syn::Error::new(
            redact.span(),
            "a field is either `skip` (left out of changes) or `redact` (changes shown without \
             values), not both",
        ));
    }
    parsed
}

/// A bare flag such as `lockable`; `lockable = ...` is an error.
fn flag(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Ident> {
    if meta.input.peek(syn::Token![=]) || meta.input.peek(syn::token::Paren) {
        return Err(meta.error(format!(
            "`{}` is a flag: write it alone, without a value",
            path_text(&meta.path)
        )));
    }
    meta.path
        .get_ident()
        .cloned()
        .ok_or_else(|| meta.error("expected a flag"))
}

/// The value of `key = value` inside `#[diesel(...)]` attributes (e.g. `table_name`,
/// `column_name`), read token by token so that other Diesel options are left alone.
pub fn diesel_option(attrs: &[Attribute], key: &str) -> Option<Path> {
    use proc_macro2::TokenTree;
    for attr in attrs.iter().filter(|a| a.path().is_ident("diesel")) {
        let syn::Meta::List(list) = &attr.meta else {
            continue;
        };
        let tokens: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
        let mut i = 0;
        while i < tokens.len() {
            let at_key = matches!(&tokens[i], TokenTree::Ident(ident) if ident == key);
            let then_eq =
                matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '=');
            if at_key && then_eq {
                let value: proc_macro2::TokenStream = tokens[i + 2..]
                    .iter()
                    .take_while(|t| !matches!(t, TokenTree::Punct(p) if p.as_char() == ','))
                    .cloned()
                    .collect();
                return syn::parse2(value).ok();
            }
            i += 1;
        }
    }
    None
}

fn set<T>(slot: &mut Option<T>, value: T, path: &Path) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(
            path.span(),
            format!("`{}` is given twice", path_text(path)),
        ));
    }
    *slot = Some(value);
    Ok(())
}

fn path_text(path: &Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// The struct's named fields, or the error saying what to derive on instead.
pub fn named_fields(input: &DeriveInput) -> syn::Result<&Punctuated<Field, Comma>> {
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
