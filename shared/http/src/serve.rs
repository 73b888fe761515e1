//! The request pipeline every component runs: header caps, id, route, who is calling
//! and whether they may, handler, audit record, problem+json, log. Authentication and
//! authorisation happen here, once, before any handler runs.

use crate::auth::{self, Identity};
use crate::ids::now;
use crate::log::{RequestLog, emit};
use crate::routing::{Access, Match, Subject, find};
use crate::{ApiError, Ctx, Request, RequestId, Response, Route, Service, query};
use crm_domain::Timestamp;
use crm_domain::security::{Action, Audit};
use crm_store::Stores;
use crm_store::audit::{self as trail, Entry};
use http::{HeaderValue, Method, header};
use std::time::Instant;

/// Most request headers accepted (Spin adds about ten `spin-*` ones of its own).
pub const MAX_HEADERS: usize = 100;
/// Most bytes of all header names and values together.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Longest resource path written to an audit record.
const MAX_AUDIT_RESOURCE: usize = 512;

/// What the log line needs to know about how a request went.
#[derive(Default)]
struct Outcome {
    route: Option<&'static str>,
    actor: Option<String>,
    error: Option<String>,
    note: Option<String>,
}

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
    let mut out = Outcome::default();
    let mut response = match check_headers(&request) {
        Err(e) => e.to_response(&request_id),
        Ok(()) => match find(service.routes, request.method(), request.uri().path()) {
            Match::Found(route, params) => {
                out.route = Some(route.pattern);
                run(
                    service,
                    route,
                    params,
                    &request,
                    &request_id,
                    stores,
                    &mut out,
                )
            }
            Match::MethodNotAllowed(allow) => {
                ApiError::MethodNotAllowed(allow).to_response(&request_id)
            }
            Match::NotFound => {
                ApiError::NotFound(format!("no resource at {}", request.uri().path()))
                    .to_response(&request_id)
            }
        },
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
        actor: out.actor.as_deref(),
        method: request.method().as_str(),
        route: out.route,
        status,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        error: out.error,
        note: out.note,
    });
    response
}

/// Refuses too many or too large headers before anything reads them (431).
fn check_headers(request: &Request) -> Result<(), ApiError> {
    let headers = request.headers();
    if headers.len() > MAX_HEADERS {
        return Err(ApiError::HeadersTooLarge(format!(
            "at most {MAX_HEADERS} headers are accepted"
        )));
    }
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if bytes > MAX_HEADER_BYTES {
        return Err(ApiError::HeadersTooLarge(format!(
            "headers must total at most {MAX_HEADER_BYTES} bytes"
        )));
    }
    Ok(())
}

/// The customer a route names in its path, query or body, if it declares one.
fn subject_of(route: &Route, params: &[(String, String)], request: &Request) -> Option<String> {
    match route.subject {
        Subject::None | Subject::Resource => None,
        Subject::Path(name) => params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone()),
        Subject::Query(name) => request.uri().query().and_then(|raw| {
            query::pairs(raw)
                .find(|(k, _)| k.as_deref() == Some(name))
                .and_then(|(_, v)| v)
        }),
        Subject::Body(name) => serde_json::from_slice::<serde_json::Value>(request.body())
            .ok()
            .and_then(|body| body.get(name)?.as_str().map(str::to_owned)),
    }
}

/// Authenticates, authorises, runs the handler and records the audit entry.
fn run(
    service: &Service,
    route: &Route,
    params: Vec<(String, String)>,
    request: &Request,
    request_id: &RequestId,
    stores: &Stores,
    out: &mut Outcome,
) -> Response {
    let now = now();
    let action = match route.access {
        Access::Anonymous => None,
        Access::Undeclared | Access::Action(_) => match authenticate(request, stores, now, out) {
            Ok(identity) => Some(identity),
            Err(e) => return e.to_response(request_id),
        },
    };
    let identity = action;
    let action = match route.access {
        Access::Anonymous => None,
        Access::Action(a) => Some(a),
        Access::Undeclared => {
            out.error = Some(format!("route {} declares no permission", route.pattern));
            return ApiError::Forbidden {
                code: "permission_not_declared",
                detail: "this endpoint declares no permission, so no one may call it".into(),
            }
            .to_response(request_id);
        }
    };
    let subject = subject_of(route, &params, request);
    if let (Some(identity), Some(action)) = (&identity, action) {
        let refusal = if !identity.may(action) {
            Some(auth::forbidden(format!("your roles do not allow {action}")))
        } else if identity.is_customer()
            && !matches!(route.subject, Subject::None | Subject::Resource)
            && subject.as_deref() != Some(identity.sub.as_str())
        {
            Some(auth::forbidden(
                "a customer token reaches only its own customer's data",
            ))
        } else {
            None
        };
        if let Some(e) = refusal {
            let mut response = e.to_response(request_id);
            let entry = AuditFacts {
                identity,
                action,
                subject,
                request,
                request_id,
                now,
            };
            record(stores, &entry, &mut response, out);
            return response;
        }
    }
    let ctx = Ctx::new(
        request,
        request_id.clone(),
        now,
        service,
        stores,
        params,
        identity.clone(),
        subject,
    );
    let result = (route.handler)(&ctx);
    out.note = ctx.take_note();
    let mut response = match result {
        Ok(response) => response,
        Err(e) => {
            if matches!(e, ApiError::Internal(_)) {
                out.error = Some(e.to_string());
            }
            e.to_response(request_id)
        }
    };
    // A handler that forgot to check whose resource it served must not hand another
    // customer's data to a customer token: fail closed.
    if let Some(identity) = &identity
        && identity.is_customer()
        && route.subject == Subject::Resource
        && !ctx.reached()
        && response.status().is_success()
    {
        out.error = Some(format!("route {} did not check the owner", route.pattern));
        response = auth::forbidden("a customer token reaches only its own customer's data")
            .to_response(request_id);
    }
    if let (Some(identity), Some(action)) = (&identity, action) {
        let entry = AuditFacts {
            identity,
            action,
            subject: ctx.take_subject(),
            request,
            request_id,
            now,
        };
        record(stores, &entry, &mut response, out);
    }
    response
}

fn authenticate(
    request: &Request,
    stores: &Stores,
    now: Timestamp,
    out: &mut Outcome,
) -> Result<Identity, ApiError> {
    let keys = auth::keys_from(stores.variables()).map_err(|cause| {
        ApiError::Internal(format!("authentication is not configured: {cause}"))
    })?;
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match auth::authenticate(authorization, &keys, now.unix_millis().div_euclid(1000)) {
        Ok(identity) => {
            out.actor = Some(identity.sub.clone());
            Ok(identity)
        }
        Err(reason) => {
            // The reason is for operators; the caller only learns `invalid_token`.
            out.note = Some(format!("invalid_token: {}", reason.as_str()));
            Err(ApiError::Unauthorized)
        }
    }
}

struct AuditFacts<'a> {
    identity: &'a Identity,
    action: Action,
    subject: Option<String>,
    request: &'a Request,
    request_id: &'a RequestId,
    now: Timestamp,
}

/// Appends the audit record of an audited action. A read whose record cannot be
/// written is not answered (503): no personal data leaves without its trace. A write
/// has already committed, so its answer stands and the failure is logged.
fn record(stores: &Stores, facts: &AuditFacts<'_>, response: &mut Response, out: &mut Outcome) {
    let kind = facts.action.audit();
    if kind == Audit::No {
        return;
    }
    let status = response.status().as_u16();
    let outcome = match status {
        401 | 403 => "denied",
        500.. => "failed",
        400.. => "rejected",
        _ => "success",
    };
    let mut resource = facts.request.uri().path().to_owned();
    resource.truncate(
        (0..=MAX_AUDIT_RESOURCE.min(resource.len()))
            .rev()
            .find(|i| resource.is_char_boundary(*i))
            .unwrap_or(0),
    );
    let entry = Entry {
        at: facts.now.unix_millis(),
        actor: facts.identity.sub.clone(),
        roles: facts.identity.roles_text(),
        action: facts.action.as_str().to_owned(),
        resource,
        customer_id: facts.subject.clone(),
        request_id: facts.request_id.as_str().to_owned(),
        outcome: outcome.to_owned(),
        status: i64::from(status),
    };
    let appended = stores.database().and_then(|db| trail::append(db, &entry));
    if let Err(e) = appended {
        out.error = Some(format!("audit record not written: {e}"));
        if kind == Audit::Read && response.status().is_success() {
            *response = ApiError::from(crm_store::StoreError::Busy).to_response(facts.request_id);
        }
    }
}
