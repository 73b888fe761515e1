//! Recommendations: the next best offer, suitable and explained.
//!
//! Serves `/v1/recommendations/...`. This file holds only the route table and the Spin entry
//! point; handlers translate HTTP to the engine in `crm-recommend` and back
//! (`docs/recommendations.md`).

pub mod handlers;
pub mod repo;

use crm_domain::security::Action;
use crm_http::{Route, Service, health};

/// This component: its name in `spin.toml`, its version and its routes.
pub const SERVICE: Service = Service {
    name: "recommendations",
    version: env!("CARGO_PKG_VERSION"),
    routes: ROUTES,
};

// Literal segments (`health`, `products`, `stats`) win over `:customerId`. Every route
// declares its action (`docs/security.md`); one that does not is refused.
const ROUTES: &[Route] = &[
    Route::get("/v1/recommendations/health", health::handle).anonymous(),
    Route::get("/v1/recommendations/products", handlers::products).requires(Action::CatalogueRead),
    Route::get("/v1/recommendations/products/:code", handlers::product)
        .requires(Action::CatalogueRead),
    Route::put("/v1/recommendations/products/:code", handlers::put_product)
        .requires(Action::CatalogueWrite),
    Route::get("/v1/recommendations/stats", handlers::stats).requires(Action::OfferStats),
    Route::get("/v1/recommendations/:customerId", handlers::recommend)
        .requires(Action::OfferRead)
        .customer_in_path("customerId"),
    Route::post(
        "/v1/recommendations/:customerId/feedback",
        handlers::feedback,
    )
    .requires(Action::OfferFeedback)
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
