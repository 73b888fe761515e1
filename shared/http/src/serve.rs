//! The request pipeline every component runs: header caps, id, route, who is calling
//! and whether they may, handler, audit record, problem+json, log. Authentication and
//! authorisation happen here, once, before any handler runs.

use crate::auth::{self, Identity};
use crate::ids::now;
use crate::log::{RequestLog, emit};
use crate::routing::{Access, Match, Subject, find};
use crate::{ApiError, ApiResult, Ctx, Request, RequestId, Response, Route, Service, query};
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
                let params = params
                    .into_iter()
                    .map(|(name, value)| {
                        let value = crm_domain::id::canonical(&value).unwrap_or(value);
                        (name, value)
                    })
                    .collect();
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

/// The customer a route names in its path, query or body, if it declares one, in
/// canonical form when it is an id (path parameters are canonical already).
fn subject_of(route: &Route, params: &[(String, String)], request: &Request) -> Option<String> {
    let named = match route.subject {
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
    };
    named.map(|raw| crm_domain::id::canonical(&raw).unwrap_or(raw))
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
    let identity = match route.access {
        Access::Anonymous => None,
        Access::Undeclared | Access::Action(_) => match authenticate(request, stores, now, out) {
            Ok(identity) => Some(identity),
            Err(e) => return e.to_response(request_id),
        },
    };
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
    let (Some(identity), Some(action)) = (identity, action) else {
        // An anonymous route: nothing to authorise or record.
        let ctx = Ctx::new(
            request,
            request_id.clone(),
            now,
            service,
            route.pattern,
            stores,
            params,
            None,
            subject,
        );
        let result = (route.handler)(&ctx);
        out.note = ctx.take_note();
        return answer(result, request_id, out);
    };
    let facts = AuditFacts {
        identity: &identity,
        action,
        request,
        request_id,
        now,
    };
    let refusal = if !identity.may(action) {
        Some(auth::forbidden(format!("your roles do not allow {action}")))
    } else if identity.is_customer()
        && !matches!(route.subject, Subject::None | Subject::Resource)
        && subject.as_deref() != Some(identity.sub.as_str())
    {
        Some(auth::forbidden(
            "a customer token reaches only its own customer's data",
        ))
    } else if let (Some(_), Some(customer)) = (identity.book(), subject.as_deref()) {
        let checked = stores
            .database()
            .map_err(ApiError::from)
            .and_then(|db| auth::check_book(&identity, db, customer));
        checked.err()
    } else {
        None
    };
    if let Some(e) = refusal {
        let response = e.to_response(request_id);
        if action.audit() != Audit::No {
            record_alone(stores, &facts, subject, None, &response, out);
        }
        return response;
    }
    let ctx = Ctx::new(
        request,
        request_id.clone(),
        now,
        service,
        route.pattern,
        stores,
        params,
        Some(identity.clone()),
        subject,
    );
    let response = match action.audit() {
        Audit::Write => run_write(route, &ctx, &facts, stores, out),
        kind => {
            let result = (route.handler)(&ctx);
            let mut response = answer(result, request_id, out);
            if let Some(refused) = unchecked_owner(route, &ctx, &response, out) {
                response = refused;
            }
            if kind == Audit::Read {
                let written = record_alone(
                    stores,
                    &facts,
                    ctx.take_subject(),
                    ctx.take_audit_detail(),
                    &response,
                    out,
                );
                if !written && response.status().is_success() {
                    // No personal data leaves without its trace.
                    response = ApiError::from(crm_store::StoreError::Busy).to_response(request_id);
                }
            }
            response
        }
    };
    out.note = ctx.take_note().or(out.note.take());
    response
}

/// The handler's answer, with a 5xx's cause kept for the log line.
fn answer(result: ApiResult, request_id: &RequestId, out: &mut Outcome) -> Response {
    match result {
        Ok(response) => response,
        Err(e) => {
            if matches!(e, ApiError::Internal(_)) {
                out.error = Some(e.to_string());
            }
            e.to_response(request_id)
        }
    }
}

/// A handler that forgot to check whose resource it served must not hand another
/// customer's data to a customer token: fail closed with a 403 instead of `response`.
fn unchecked_owner(
    route: &Route,
    ctx: &Ctx<'_>,
    response: &Response,
    out: &mut Outcome,
) -> Option<Response> {
    let identity = ctx.identity()?;
    if identity.is_customer()
        && route.subject == Subject::Resource
        && !ctx.reached()
        && response.status().is_success()
    {
        out.error = Some(format!("route {} did not check the owner", route.pattern));
        return Some(
            auth::forbidden("a customer token reaches only its own customer's data")
                .to_response(&ctx.request_id),
        );
    }
    None
}

/// How many records not yet in the chain a write seals along with its own: enough to
/// keep up with reads between writes, few enough to keep the write lock short.
const SEAL_PER_WRITE: i64 = 64;

/// Why a write's transaction was rolled back.
enum Rollback {
    /// The handler failed (5xx): nothing it did stays.
    Handler(ApiError),
    /// A customer token reached a resource the handler did not check: refused, undone.
    Refused(Box<Response>),
    /// The audit record, the seal or the commit failed.
    Store(crm_store::StoreError),
}

impl From<crm_store::StoreError> for Rollback {
    fn from(e: crm_store::StoreError) -> Self {
        Rollback::Store(e)
    }
}

/// Runs a write in one transaction with its audit record (and a few older records
/// sealed into the chain): one commit, and the write and its record commit together or
/// not at all. A 4xx commits too, with its record (an idempotent 4xx is remembered); a
/// 5xx rolls everything back and is recorded as `failed` on its own.
fn run_write(
    route: &Route,
    ctx: &Ctx<'_>,
    facts: &AuditFacts<'_>,
    stores: &Stores,
    out: &mut Outcome,
) -> Response {
    let request_id = &ctx.request_id;
    let prepared = stores.database().map_err(ApiError::from).and_then(|db| {
        let key = audit_key(stores)?;
        Ok((db, key))
    });
    let (db, key) = match prepared {
        Ok(pair) => pair,
        Err(e) => {
            let response = answer(Err(e), request_id, out);
            record_alone(stores, facts, ctx.take_subject(), None, &response, out);
            return response;
        }
    };
    let committed = crm_store::in_transaction(db, |db| -> Result<Response, Rollback> {
        let response = match (route.handler)(ctx) {
            Ok(response) => response,
            Err(e) if e.status().is_server_error() => return Err(Rollback::Handler(e)),
            Err(e) => e.to_response(request_id),
        };
        let mut unused = Outcome::default();
        if let Some(refused) = unchecked_owner(route, ctx, &response, &mut unused) {
            out.error = unused.error;
            return Err(Rollback::Refused(Box::new(refused)));
        }
        let entry = facts.entry(ctx.take_subject(), ctx.take_audit_detail(), &response);
        trail::append(db, &entry)?;
        let touched = ctx.take_also_touched();
        for (customer, detail) in &touched {
            let entry = facts.entry(Some(customer.clone()), detail.clone(), &response);
            trail::append(db, &entry)?;
        }
        // Every write seals its own records, however many a batch added.
        trail::seal(db, &key, SEAL_PER_WRITE + touched.len() as i64)?;
        Ok(response)
    });
    match committed {
        Ok(response) => {
            for statement in ctx.take_after_commit() {
                if let Err(e) = db.execute(statement, &[]) {
                    out.note = Some(format!("after commit, {statement}: {e}"));
                }
            }
            response
        }
        Err(rollback) => {
            let response = match rollback {
                Rollback::Handler(e) => answer(Err(e), request_id, out),
                Rollback::Refused(response) => *response,
                Rollback::Store(e) => {
                    out.error = Some(format!("write rolled back: {e}"));
                    ApiError::from(e).to_response(request_id)
                }
            };
            record_alone(stores, facts, ctx.take_subject(), None, &response, out);
            response
        }
    }
}

/// The chain's key from the component's variables; a missing or short key is a 500
/// (writes fail closed rather than go unsealed).
fn audit_key(stores: &Stores) -> Result<trail::AuditKey, ApiError> {
    let value = stores
        .variables()
        .get(trail::KEY_VARIABLE)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::Internal(format!(
                "the audit trail is not configured: {} is not set",
                trail::KEY_VARIABLE
            ))
        })?;
    trail::AuditKey::new(value.as_bytes())
        .map_err(|e| ApiError::Internal(format!("the audit trail is not configured: {e}")))
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
    request: &'a Request,
    request_id: &'a RequestId,
    now: Timestamp,
}

impl AuditFacts<'_> {
    /// The record of this request answered with `response`.
    fn entry(&self, subject: Option<String>, detail: Option<String>, response: &Response) -> Entry {
        let status = response.status().as_u16();
        let outcome = match status {
            401 | 403 => "denied",
            500.. => "failed",
            400.. => "rejected",
            _ => "success",
        };
        let mut resource = self.request.uri().path().to_owned();
        resource.truncate(
            (0..=MAX_AUDIT_RESOURCE.min(resource.len()))
                .rev()
                .find(|i| resource.is_char_boundary(*i))
                .unwrap_or(0),
        );
        Entry {
            at: self.now.unix_millis(),
            actor: self.identity.sub.clone(),
            roles: self.identity.roles_text(),
            action: self.action.as_str().to_owned(),
            resource,
            customer_id: subject,
            request_id: self.request_id.as_str().to_owned(),
            outcome: outcome.to_owned(),
            status: i64::from(status),
            detail,
        }
    }
}

/// Appends the record of a request that is not a committed write (a read, a refusal, a
/// write that was rolled back) in one statement of its own; false when it could not be
/// written (the caller decides what that means for the answer; it is always logged).
fn record_alone(
    stores: &Stores,
    facts: &AuditFacts<'_>,
    subject: Option<String>,
    detail: Option<String>,
    response: &Response,
    out: &mut Outcome,
) -> bool {
    let entry = facts.entry(subject, detail, response);
    match stores.database().and_then(|db| trail::append(db, &entry)) {
        Ok(_) => true,
        Err(e) => {
            let previous = out.error.take();
            out.error = Some(match previous {
                Some(p) => format!("{p}; audit record not written: {e}"),
                None => format!("audit record not written: {e}"),
            });
            false
        }
    }
}
