//! Loan pre-approval: explainable decisions and the recorded path to a final answer.
//!
//! Serves `/v1/loans/...`. This file holds only the route table and the Spin entry
//! point; handlers translate HTTP to the loan operations and back
//! (`docs/loan-preapproval.md`).

pub mod figures;
pub mod handlers;
pub mod repo;
pub mod service;
pub mod views;

use crm_domain::security::Action;
use crm_http::{Route, Service, health};

/// This component: its name in `spin.toml`, its version and its routes.
pub const SERVICE: Service = Service {
    name: "loan-preapproval",
    version: env!("CARGO_PKG_VERSION"),
    routes: ROUTES,
};

// Every route declares its action (`docs/security.md`); one that does not is refused.
const ROUTES: &[Route] = &[
    Route::get("/v1/loans/health", health::handle).anonymous(),
    Route::post("/v1/loans/quote", handlers::quote)
        .requires(Action::LoanQuote)
        .customer_in_body("customerId"),
    Route::get("/v1/loans/policy", handlers::policy).requires(Action::LoanPolicyRead),
    Route::get("/v1/loans/figures", figures::figures).requires(Action::LoanFigures),
    Route::put("/v1/loans/policy", handlers::put_policy).requires(Action::LoanPolicyWrite),
    Route::get("/v1/loans/policy/:version", handlers::policy_version)
        .requires(Action::LoanPolicyRead),
    Route::post("/v1/loans/applications", handlers::create)
        .requires(Action::LoanApply)
        .customer_in_body("customerId"),
    Route::get("/v1/loans/applications", handlers::list).requires(Action::LoanList),
    Route::get("/v1/loans/applications/:id", handlers::get)
        .requires(Action::LoanRead)
        .customer_of_resource(),
    Route::post(
        "/v1/loans/applications/:id/transitions",
        handlers::transition,
    )
    .requires(Action::LoanTransition)
    .customer_of_resource(),
    Route::post("/v1/loans/applications/:id/replay", handlers::replay)
        .requires(Action::LoanReplay)
        .customer_of_resource(),
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
