//! Recommendations: the next best offer, suitable and explained.
//!
//! Serves `/v1/recommendations/...`. This file holds only the route table and the Spin entry
//! point; handlers translate HTTP to domain calls and back.

use crm_http::{Route, Service, health};

/// This component: its name in `spin.toml`, its version and its routes.
pub const SERVICE: Service = Service {
    name: "recommendations",
    version: env!("CARGO_PKG_VERSION"),
    routes: ROUTES,
};

const ROUTES: &[Route] = &[Route::get("/v1/recommendations/health", health::handle)];

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
