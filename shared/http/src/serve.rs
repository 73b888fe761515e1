//! The request pipeline every component runs: id, route, handler, problem+json, log.

use crate::ids::now;
use crate::log::{RequestLog, emit};
use crate::routing::{Match, find};
use crate::{ApiError, Ctx, Request, RequestId, Response, Service};
use crm_store::Stores;
use http::{HeaderValue, Method, header};
use std::time::Instant;

/// Serves one request with `service`'s routes over `stores`. Never panics on input:
/// every failure is a problem+json response.
pub fn serve(service: &Service, request: Request, stores: &Stores) -> Response {
    let started = Instant::now();
    let request_id = RequestId::from_header(
        request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
    );
    let (mut response, route, error, note) =
        match find(service.routes, request.method(), request.uri().path()) {
            Match::Found(route, params) => {
                let ctx = Ctx::new(&request, request_id.clone(), now(), service, stores, params);
                let result = (route.handler)(&ctx);
                let note = ctx.take_note();
                match result {
                    Ok(response) => (response, Some(route.pattern), None, note),
                    Err(e) => {
                        let cause = matches!(e, ApiError::Internal(_)).then(|| e.to_string());
                        (e.to_response(&request_id), Some(route.pattern), cause, note)
                    }
                }
            }
            Match::MethodNotAllowed(allow) => (
                ApiError::MethodNotAllowed(allow).to_response(&request_id),
                None,
                None,
                None,
            ),
            Match::NotFound => {
                let e = ApiError::NotFound(format!("no resource at {}", request.uri().path()));
                (e.to_response(&request_id), None, None, None)
            }
        };
    if request.method() == Method::HEAD {
        response.body_mut().clear();
    }
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        headers.insert("x-request-id", value);
    }
    // Customer data must not linger in shared caches or browser history.
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    let status = response.status().as_u16();
    emit(&RequestLog {
        time: now(),
        level: match status {
            500.. => "error",
            400.. => "warn",
            _ => "info",
        },
        component: service.name,
        request_id: &request_id,
        method: request.method().as_str(),
        route,
        status,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        error,
        note,
    });
    response
}
