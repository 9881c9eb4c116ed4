//! Stack Atlas: a JSON REST API over a curated catalogue of backend technologies.
//!
//! - [`catalogue`]: the typed model, loading and validation, the immutable snapshot.
//! - [`search`]: the ranked search index.
//! - [`api`]: the HTTP layer (actix-web handlers, errors, OpenAPI).
//! - [`config`]: settings from flags and environment variables.
//! - [`app`]: the application `main` runs and tests start ([`app::Application`]).

pub mod api;
pub mod app;
pub mod catalogue;
pub mod config;
pub mod logging;
pub mod search;
pub mod snapshot;
