//! Parsing `#[loggable(...)]` attributes, collecting every error before failing.

use syn::spanned::Spanned;
use syn::{Attribute, Ident, LitStr, Path};

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
}

const MODEL_KEYS: &str = "content_type = \"app.model\", verbose_name = \"...\", title = field, \
                          title_fn = method, primary_key = field, log_table = path::To::Table";

pub fn model_attrs(attrs: &[Attribute], errors: &mut Errors) -> ModelAttrs {
    let mut parsed = ModelAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("loggable")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            match key.as_str() {
                "content_type" => set(&mut parsed.content_type, meta.value()?.parse()?, &meta.path),
                "verbose_name" => set(&mut parsed.verbose_name, meta.value()?.parse()?, &meta.path),
                "title" => set(&mut parsed.title, meta.value()?.parse()?, &meta.path),
                "title_fn" => set(&mut parsed.title_fn, meta.value()?.parse()?, &meta.path),
                "primary_key" => set(&mut parsed.primary_key, meta.value()?.parse()?, &meta.path),
                "log_table" => set(&mut parsed.log_table, meta.value()?.parse()?, &meta.path),
                _ => Err(meta.error(format!(
                    "unknown loggable attribute `{}`; expected one of: {MODEL_KEYS}",
                    path_text(&meta.path)
                ))),
            }
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
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

/// A field's `#[loggable(verbose_name = "...")]`.
pub fn field_verbose_name(attrs: &[Attribute], errors: &mut Errors) -> Option<LitStr> {
    let mut verbose_name = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("loggable")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("verbose_name") {
                set(&mut verbose_name, meta.value()?.parse()?, &meta.path)
            } else {
                Err(meta.error(format!(
                    "unknown loggable field attribute `{}`; expected `verbose_name = \"...\"`",
                    path_text(&meta.path)
                )))
            }
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    verbose_name
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
