//! Integration tests through the real application. One test binary; shared set-up
//! lives in `helpers`.

mod catalogue;
mod coverage;
mod errors;
mod features;
mod helpers;
mod http;
mod lifecycle;
mod openapi;
mod properties;
mod refresh;
mod relevance;
mod search;
mod server;
mod structure;
mod suggest;
mod technologies;
