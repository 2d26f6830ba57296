//! Check: resolves the parsed attributes against the struct's fields and reports every
//! misuse (with what to write instead) before anything is generated.

use syn::spanned::Spanned;
use syn::{DeriveInput, Field, Ident, Path, Type};

use crate::parse::{self, Errors, FieldAttrs, ModelAttrs};

/// The fields `lockable` needs, with the types the error message suggests.
pub const LOCK_FIELDS: [(&str, &str); 3] = [
    ("locked", "bool"),
    ("locked_at", "Option<chrono::NaiveDateTime>"),
    ("locked_by", "Option<i64>"),
];

/// The fields `draft_state` needs.
pub const DRAFT_FIELDS: [(&str, &str); 6] = [
    ("live", "bool"),
    ("has_unpublished_changes", "bool"),
    ("first_published_at", "Option<chrono::NaiveDateTime>"),
    ("last_published_at", "Option<chrono::NaiveDateTime>"),
    ("live_revision_id", "Option<i64>"),
    ("latest_revision_id", "Option<i64>"),
];

/// The fields `scheduling` needs besides the draft-state ones.
pub const SCHEDULE_FIELDS: [(&str, &str); 3] = [
    ("go_live_at", "Option<chrono::NaiveDateTime>"),
    ("expire_at", "Option<chrono::NaiveDateTime>"),
    ("expired", "bool"),
];

/// One field of the model as the derive sees it.
pub struct ModelField<'a> {
    pub field: &'a Field,
    pub ident: &'a Ident,
    /// The Diesel column (the field name unless `#[diesel(column_name = ...)]`).
    pub column: Ident,
    pub attrs: FieldAttrs,
}

/// What the model asked for, with the implications resolved (`scheduling` implies
/// `draft_state`, which implies `revisions`).
pub struct Capabilities {
    pub lockable: bool,
    pub revisions: bool,
    pub draft_state: bool,
    pub scheduling: bool,
    pub privacy: bool,
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
    pub fn bookkeeping(&self) -> Vec<&'static str> {
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

/// The model, checked: every name resolves to a field, every capability has its fields.
pub struct Model<'a> {
    pub input: &'a DeriveInput,
    pub attrs: ModelAttrs,
    pub fields: Vec<ModelField<'a>>,
    pub caps: Capabilities,
    primary_key: Option<usize>,
    title: Option<usize>,
    /// The Diesel table module, when the model has one (lifecycle operations need it).
    pub table: Option<Path>,
}

impl Model<'_> {
    pub fn primary_key(&self) -> Option<&ModelField<'_>> {
        self.primary_key.map(|i| &self.fields[i])
    }

    pub fn title(&self) -> Option<&ModelField<'_>> {
        self.title.map(|i| &self.fields[i])
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&ModelField<'_>> {
        self.fields.iter().find(|f| f.ident == name)
    }
}

/// Parses and checks `input`; every problem found is reported at once.
pub fn model(input: &DeriveInput) -> syn::Result<Model<'_>> {
    let named = parse::named_fields(input)?;
    let mut errors = Errors::default();
    let attrs = parse::model_attrs(&input.attrs, &mut errors);
    let fields: Vec<ModelField<'_>> = named
        .iter()
        .filter_map(|field| {
            let ident = field.ident.as_ref()?;
            let column = parse::diesel_option(&field.attrs, "column_name")
                .and_then(|path| path.get_ident().cloned())
                .unwrap_or_else(|| ident.clone());
            Some(ModelField {
                field,
                ident,
                column,
                attrs: parse::field_attrs(&field.attrs, &mut errors),
            })
        })
        .collect();
    let table = attrs
        .table
        .clone()
        .or_else(|| parse::diesel_option(&input.attrs, "table_name"));
    let primary_key = match &attrs.primary_key {
        Some(name) => find_field(&fields, name, "primary_key", &mut errors),
        None => {
            let found = fields.iter().position(|f| f.ident == "id");
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
        find_field(&fields, name, "live_title", &mut errors);
    }
    if let Some(name) = &attrs.content_type_field {
        find_field(&fields, name, "content_type_field", &mut errors);
    }
    let title = attrs
        .title
        .as_ref()
        .and_then(|name| find_field(&fields, name, "title", &mut errors));
    check_lifecycle(
        input,
        &attrs,
        &fields,
        primary_key.map(|i| &fields[i]),
        table.as_ref(),
        &mut errors,
    );
    errors.finish()?;
    Ok(Model {
        input,
        caps: Capabilities::of(&attrs),
        attrs,
        fields,
        primary_key,
        title,
        table,
    })
}

/// Checks that each capability asked for has its fields, and that there is a table.
fn check_lifecycle(
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
    let caps = Capabilities::of(attrs);
    let mut bookkeeping: Vec<(&str, &str)> = Vec::new();
    if caps.lockable {
        bookkeeping.extend(LOCK_FIELDS);
    }
    if caps.draft_state {
        bookkeeping.extend(DRAFT_FIELDS);
    }
    if caps.scheduling {
        bookkeeping.extend(SCHEDULE_FIELDS);
    }
    for (name, wanted) in bookkeeping {
        if let Some(field) = fields.iter().find(|f| f.ident == name) {
            check_bookkeeping_type(field, wanted, errors);
        }
    }
    if primary_key.is_some_and(|f| is_option(&f.field.ty)) {
        errors.push(syn::Error::new(
            input.ident.span(),
            "a model with a Diesel table needs a primary key that is not an Option \
             (rows in the table always have one)",
        ));
    }
}

/// A field the lifecycle keeps itself must have the shape it writes: `bool`, or an `Option`
/// (of a timestamp, a revision id or a user key). Checked here, so a wrong type is one error
/// at the field rather than many in the generated statements.
fn check_bookkeeping_type(field: &ModelField<'_>, wanted: &str, errors: &mut Errors) {
    let ty = &field.field.ty;
    let fits = if wanted == "bool" {
        matches!(ty, Type::Path(path) if path.qself.is_none() && path.path.is_ident("bool"))
    } else {
        is_option(ty)
    };
    if !fits {
        let shape = if wanted == "bool" {
            "bool"
        } else {
            "Option<...>"
        };
        errors.push(syn::Error::new(
            ty.span(),
            format!(
                "`{}` is kept by the lifecycle and must be written `{shape}` (e.g. `{}: {wanted}`), \
                 matching its column",
                field.ident, field.ident
            ),
        ));
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

/// Whether `ty` is written `Option<...>`.
pub fn is_option(ty: &Type) -> bool {
    option_inner(ty).is_some()
}

/// `T` of a type written `Option<T>`.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) => Some(inner),
        _ => None,
    }
}
