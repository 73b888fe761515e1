//! Engagement: account events from core banking turned into alerts by versioned rules,
//! churn early warning, and the relationship manager's task queue both feed.
//!
//! Serves `/v1/engagement/...`. This file holds only the route table and the Spin entry
//! point; handlers translate HTTP to domain calls and back (`docs/engagement.md`).

pub mod handlers;
pub mod repo;

use crm_domain::security::Action;
use crm_http::{Route, Service, health};
use handlers::{alerts, churn, events, rules, tasks};

/// This component: its name in `spin.toml`, its version and its routes.
pub const SERVICE: Service = Service {
    name: "engagement",
    version: env!("CARGO_PKG_VERSION"),
    routes: ROUTES,
};

// Every route declares its action (`docs/security.md`); one that does not is refused.
const ROUTES: &[Route] = &[
    Route::get("/v1/engagement/health", health::handle).anonymous(),
    Route::post("/v1/engagement/events", events::ingest).requires(Action::EngagementEventIngest),
    Route::get("/v1/engagement/alert-rules", rules::current).requires(Action::EngagementRulesRead),
    Route::put("/v1/engagement/alert-rules", rules::put).requires(Action::EngagementRulesWrite),
    Route::get("/v1/engagement/alert-rules/:version", rules::version)
        .requires(Action::EngagementRulesRead),
    Route::get("/v1/engagement/alerts", alerts::list).requires(Action::EngagementAlertList),
    Route::get("/v1/engagement/alerts/:id", alerts::get)
        .requires(Action::EngagementAlertRead)
        .customer_of_resource(),
    Route::post("/v1/engagement/alerts/:id/transitions", alerts::transition)
        .requires(Action::EngagementAlertAct)
        .customer_of_resource(),
    Route::post("/v1/engagement/tasks", tasks::create)
        .requires(Action::EngagementTaskCreate)
        .customer_in_body("customerId"),
    Route::get("/v1/engagement/tasks", tasks::list).requires(Action::EngagementTaskList),
    Route::post("/v1/engagement/tasks/handover", tasks::handover)
        .requires(Action::EngagementTaskHandover),
    Route::get("/v1/engagement/tasks/:id", tasks::get)
        .requires(Action::EngagementTaskRead)
        .customer_of_resource(),
    Route::post("/v1/engagement/tasks/:id/transitions", tasks::transition)
        .requires(Action::EngagementTaskTransition)
        .customer_of_resource(),
    Route::get("/v1/engagement/churn", churn::list).requires(Action::EngagementChurnList),
    Route::post("/v1/engagement/churn/runs", churn::run).requires(Action::EngagementChurnRun),
    Route::get("/v1/engagement/churn/:customerId", churn::get)
        .requires(Action::EngagementChurnRead)
        .customer_in_path("customerId"),
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
