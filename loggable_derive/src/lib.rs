//! `#[derive(Loggable)]` for [loggable](https://docs.rs/loggable), in serde's shape:
//! `parse` reads the struct and its attributes, `check` resolves and validates them
//! (reporting every misuse at once, with what to write instead), `generate` emits the trait
//! implementations, wrapped so they add no names to the user's scope. Each stage is a plain
//! function over `proc_macro2`, tested directly (expansion snapshots in `tests/`).

mod check;
mod generate;
mod parse;
#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Implements loggable's traits for a Diesel model; see the `loggable` crate's `Loggable`
/// derive documentation for the attributes.
#[proc_macro_derive(Loggable, attributes(loggable))]
pub fn derive_loggable(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The derive's output for `input`: checked, then generated.
fn expand(input: &syn::DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let model = check::model(input)?;
    Ok(generate::generate(&model))
}
