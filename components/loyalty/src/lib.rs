//! Loyalty points: an append-only ledger with FIFO expiry and tiers.
//!
//! Serves `/v1/loyalty/...`. This file holds only the route table and the Spin entry
//! point; handlers translate HTTP to ledger operations and back (`docs/loyalty.md`).

pub mod account;
pub mod handlers;
pub mod ledger;
pub mod repo;
pub mod requests;
pub mod reversal;

use crm_http::{Route, Service, health};

/// This component: its name in `spin.toml`, its version and its routes.
pub const SERVICE: Service = Service {
    name: "loyalty",
    version: env!("CARGO_PKG_VERSION"),
    routes: ROUTES,
};

const ROUTES: &[Route] = &[
    Route::get("/v1/loyalty/health", health::handle),
    Route::get("/v1/loyalty/accounts/:customerId", handlers::account),
    Route::get(
        "/v1/loyalty/accounts/:customerId/ledger",
        handlers::ledger_page,
    ),
    Route::get(
        "/v1/loyalty/accounts/:customerId/reconciliation",
        handlers::reconciliation,
    ),
    Route::post("/v1/loyalty/accounts/:customerId/earn", handlers::earn),
    Route::post("/v1/loyalty/accounts/:customerId/redeem", handlers::redeem),
    Route::post("/v1/loyalty/accounts/:customerId/adjust", handlers::adjust),
    Route::get("/v1/loyalty/entries/:entryId", handlers::entry),
    Route::post("/v1/loyalty/entries/:entryId/reverse", handlers::reverse),
    Route::get("/v1/loyalty/rules", handlers::rules),
    Route::put("/v1/loyalty/rules", handlers::put_rules),
    Route::get("/v1/loyalty/rules/:version", handlers::rules_version),
    Route::post("/v1/loyalty/expiry-runs", handlers::expiry_run),
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
