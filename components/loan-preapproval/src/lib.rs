//! Loan pre-approval: explainable decisions and the recorded path to a final answer.
//!
//! Serves `/v1/loans/...`. This file holds only the route table and the Spin entry
//! point; handlers translate HTTP to the loan operations and back
//! (`docs/loan-preapproval.md`).

pub mod handlers;
pub mod repo;
pub mod service;
pub mod views;

use crm_http::{Route, Service, health};

/// This component: its name in `spin.toml`, its version and its routes.
pub const SERVICE: Service = Service {
    name: "loan-preapproval",
    version: env!("CARGO_PKG_VERSION"),
    routes: ROUTES,
};

const ROUTES: &[Route] = &[
    Route::get("/v1/loans/health", health::handle),
    Route::post("/v1/loans/quote", handlers::quote),
    Route::get("/v1/loans/policy", handlers::policy),
    Route::put("/v1/loans/policy", handlers::put_policy),
    Route::get("/v1/loans/policy/:version", handlers::policy_version),
    Route::post("/v1/loans/applications", handlers::create),
    Route::get("/v1/loans/applications", handlers::list),
    Route::get("/v1/loans/applications/:id", handlers::get),
    Route::post(
        "/v1/loans/applications/:id/transitions",
        handlers::transition,
    ),
    Route::post("/v1/loans/applications/:id/replay", handlers::replay),
];

/// The Spin entry point: a fresh instance per request, so stores are opened per request.
/// The export glue `http_component` generates is the only unsafe code we allow.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod entry {
    #[spin_sdk::http_component]
    fn handle(request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        crm_http::serve(&super::SERVICE, request, &crm_store::spin::stores())
    }
}
