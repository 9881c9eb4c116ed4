//! Integration tests through the real application. One test binary; shared set-up
//! lives in `helpers`.
#![expect(
    clippy::expect_used,
    reason = "the integration tests' helpers fail the test by panicking, with a message"
)]

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
