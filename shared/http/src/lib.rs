//! The HTTP edge every component shares, so that a channel that learned one service
//! knows them all (`shared/brief/API.md`): routing with problem+json 404/405, JSON
//! bodies with a size cap and unknown-field rejection, one error type mapped to
//! problem+json in one place, `x-request-id`, and one JSON log line per request.
//!
//! Plain Rust over the `http` crate: a component's Spin entry point hands the request
//! to [`serve`], so every handler is testable natively with the rusqlite stores.
#![warn(missing_docs)]

pub mod auth;
mod context;
mod customers;
#[cfg(test)]
mod fuzz;
pub mod health;
pub mod idempotency;
mod ids;
mod json;
mod log;
pub mod params;
mod patch;
mod problem;
mod query;
mod routing;
mod serve;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use context::Ctx;
pub use customers::require_recordable_customer;
pub use ids::{RequestId, new_ulid};
pub use json::{JSON, MAX_BODY_BYTES, from_json_value, json_body, json_response, json_value};
pub use params::QueryParams;
pub use patch::{
    MERGE_PATCH_JSON, SERVER_SET_MEMBERS, checked_document, created, document_body, etag,
    header_value, merge_patch, require_if_match, with_etag,
};
pub use problem::{ApiError, FieldError, PROBLEM_JSON, PROBLEM_TYPE_BASE};
pub use routing::{Access, Handler, Route, Service, Subject};
pub use serve::{MAX_HEADER_BYTES, MAX_HEADERS, serve};

/// The request type handlers receive: the whole body is already in memory, as Spin gives it.
pub type Request = http::Request<Vec<u8>>;
/// The response type handlers return.
pub type Response = http::Response<Vec<u8>>;
/// What a handler returns: a response, or an error rendered as problem+json.
pub type ApiResult = Result<Response, ApiError>;
