//! Customer profile: the 360° view of a customer (identity, KYC, segment, consent, holdings).
//!
//! Serves `/v1/customers/...`. This file holds only the route table and the Spin entry
//! point; handlers translate HTTP to domain calls and back.

mod audit;
mod handlers;
pub mod repo;
mod search;
mod view360;

use crm_domain::security::Action;
use crm_http::{Route, Service, health};

/// This component: its name in `spin.toml`, its version and its routes.
pub const SERVICE: Service = Service {
    name: "customer-profile",
    version: env!("CARGO_PKG_VERSION"),
    routes: ROUTES,
};

// Every route declares its action (`docs/security.md`); one that does not is refused.
// Literal segments (`health`, `segments`, `audit`) win over `:id`.
const ROUTES: &[Route] = &[
    Route::get("/v1/customers/health", health::handle).anonymous(),
    Route::post("/v1/customers", handlers::create).requires(Action::CustomerCreate),
    Route::get("/v1/customers", handlers::list).requires(Action::CustomerList),
    Route::get("/v1/customers/segments/summary", handlers::summary)
        .requires(Action::CustomerSummary),
    Route::get("/v1/customers/audit/verify", audit::verify).requires(Action::AuditVerify),
    Route::get("/v1/customers/audit/head", audit::head).requires(Action::AuditVerify),
    Route::get("/v1/customers/audit/records", audit::records).requires(Action::AuditRead),
    Route::post("/v1/customers/audit/seals", audit::seal).requires(Action::AuditSeal),
    Route::get("/v1/customers/:id", handlers::get)
        .requires(Action::CustomerRead)
        .customer_in_path("id"),
    Route::patch("/v1/customers/:id", handlers::patch)
        .requires(Action::CustomerUpdate)
        .customer_in_path("id"),
    Route::delete("/v1/customers/:id", handlers::erase)
        .requires(Action::CustomerErase)
        .customer_in_path("id"),
    Route::get("/v1/customers/:id/360", view360::handle)
        .requires(Action::CustomerView360)
        .customer_in_path("id"),
    Route::get("/v1/customers/:id/audit", audit::list)
        .requires(Action::AuditRead)
        .customer_in_path("id"),
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
