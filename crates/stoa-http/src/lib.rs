//! The HTTP layer: axum routes, extractors, DTOs and the one error→response map.
//!
//! Invariant: this is the only crate that knows about axum and HTTP. Handlers parse input, call
//! one `stoa_core::Core` method with the caller's principal, and map the result; no SQL and no
//! business rule lives here.

mod api;
mod dto;
mod error;
mod extract;
mod openapi;
mod routes;
mod state;

pub use error::ApiError;
pub use openapi::openapi_json;
pub use routes::router;
pub use state::AppState;
