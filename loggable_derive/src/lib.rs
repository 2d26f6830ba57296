//! Derive macros for [loggable](https://docs.rs/loggable). Entry points only; each derive lives
//! in its own module as plain functions over `proc_macro2` so they can be tested directly.

mod attr;
mod lifecycle;
mod loggable;

use proc_macro::TokenStream;

/// Implements `loggable::Loggable` for a struct with named fields; see the `loggable` crate's
/// `Loggable` documentation for the attributes.
#[proc_macro_derive(Loggable, attributes(loggable))]
pub fn derive_loggable(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    loggable::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
