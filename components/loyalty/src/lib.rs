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

use crm_domain::security::Action;
use crm_http::{Route, Service, health};

/// This component: its name in `spin.toml`, its version and its routes.
pub const SERVICE: Service = Service {
    name: "loyalty",
    version: env!("CARGO_PKG_VERSION"),
    routes: ROUTES,
};

// Every route declares its action (`docs/security.md`); one that does not is refused.
const ROUTES: &[Route] = &[
    Route::get("/v1/loyalty/health", health::handle).anonymous(),
    Route::get("/v1/loyalty/accounts/:customerId", handlers::account)
        .requires(Action::LoyaltyAccountRead)
        .customer_in_path("customerId"),
    Route::get(
        "/v1/loyalty/accounts/:customerId/ledger",
        handlers::ledger_page,
    )
    .requires(Action::LoyaltyAccountRead)
    .customer_in_path("customerId"),
    Route::get(
        "/v1/loyalty/accounts/:customerId/reconciliation",
        handlers::reconciliation,
    )
    .requires(Action::LoyaltyReconcile)
    .customer_in_path("customerId"),
    Route::post("/v1/loyalty/accounts/:customerId/earn", handlers::earn)
        .requires(Action::LoyaltyEarn)
        .customer_in_path("customerId"),
    Route::post("/v1/loyalty/accounts/:customerId/redeem", handlers::redeem)
        .requires(Action::LoyaltyRedeem)
        .customer_in_path("customerId"),
    Route::post("/v1/loyalty/accounts/:customerId/adjust", handlers::adjust)
        .requires(Action::LoyaltyAdjust)
        .customer_in_path("customerId"),
    Route::get("/v1/loyalty/entries/:entryId", handlers::entry)
        .requires(Action::LoyaltyEntryRead)
        .customer_of_resource(),
    Route::post("/v1/loyalty/entries/:entryId/reverse", handlers::reverse)
        .requires(Action::LoyaltyReverse)
        .customer_of_resource(),
    Route::get("/v1/loyalty/rules", handlers::rules).requires(Action::LoyaltyRulesRead),
    Route::put("/v1/loyalty/rules", handlers::put_rules).requires(Action::LoyaltyRulesWrite),
    Route::get("/v1/loyalty/rules/:version", handlers::rules_version)
        .requires(Action::LoyaltyRulesRead),
    Route::post("/v1/loyalty/expiry-runs", handlers::expiry_run).requires(Action::LoyaltyExpiryRun),
    Route::get("/v1/loyalty/figures", handlers::figures).requires(Action::LoyaltyFigures),
];

/// The Spin entry point: a fresh instance per request, so stores are opened per request.
/// The export glue `http_component` generates is the only unsafe code we allow.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{IncomingRequest, ResponseOutparam};

    // The two-argument form: crm-entry hands Spin the answer whole (no 40 ms Nagle stall).
    #[spin_sdk::http_component]
    async fn handle(request: IncomingRequest, out: ResponseOutparam) {
        crm_entry::serve(&super::SERVICE, request, out).await
    }
}
