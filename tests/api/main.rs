//! Integration tests through the real application. One test binary; shared set-up
//! lives in `helpers`.

mod catalogue;
mod coverage;
mod errors;
mod helpers;
mod lifecycle;
mod openapi;
mod relevance;
mod search;
mod server;
mod suggest;
mod technologies;
