//! Interaction logging: every contact across channels, complaints with an SLA clock, satisfaction.
//!
//! Serves `/v1/interactions/...`. This file holds only the route table and the Spin entry
//! point; handlers translate HTTP to domain calls and back (`docs/interactions.md`).

pub mod handlers;
pub mod repo;

use crm_domain::security::Action;
use crm_http::{Route, Service, health};
use handlers::{complaints, figures, interactions, surveys};

/// This component: its name in `spin.toml`, its version and its routes.
pub const SERVICE: Service = Service {
    name: "interactions",
    version: env!("CARGO_PKG_VERSION"),
    routes: ROUTES,
};

// Every route declares its action (`docs/security.md`); one that does not is refused.
const ROUTES: &[Route] = &[
    Route::get("/v1/interactions/health", health::handle).anonymous(),
    Route::post("/v1/interactions", interactions::create)
        .requires(Action::InteractionCreate)
        .customer_in_body("customerId"),
    Route::get("/v1/interactions", interactions::timeline)
        .requires(Action::InteractionTimeline)
        .customer_in_query("customerId"),
    Route::get("/v1/interactions/complaints", complaints::list).requires(Action::ComplaintList),
    Route::get("/v1/interactions/complaints/figures", figures::figures)
        .requires(Action::ComplaintFigures),
    Route::get("/v1/interactions/complaints/:id", complaints::get)
        .requires(Action::ComplaintRead)
        .customer_of_resource(),
    Route::post(
        "/v1/interactions/complaints/:id/transitions",
        complaints::transition,
    )
    .requires(Action::ComplaintTransition)
    .customer_of_resource(),
    Route::post("/v1/interactions/surveys", surveys::create)
        .requires(Action::SurveyCreate)
        .customer_in_body("customerId"),
    Route::get("/v1/interactions/surveys/summary", surveys::summary)
        .requires(Action::SurveySummary),
    Route::get("/v1/interactions/surveys/:id", surveys::get)
        .requires(Action::SurveyRead)
        .customer_of_resource(),
    Route::get("/v1/interactions/:id", interactions::get)
        .requires(Action::InteractionRead)
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
