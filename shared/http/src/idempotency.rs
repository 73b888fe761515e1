//! `Idempotency-Key` for POSTs that create something or move value (API.md, after the
//! IETF httpapi draft and Stripe): a missing key is 400; a replay with the same key and
//! body returns the first status and body (with `idempotent-replayed: true`); the same
//! key with another body is 422; a retry while the first is in flight is 409.
//!
//! The reservation is a row in `idempotency_keys`, claimed by one
//! `INSERT … ON CONFLICT DO NOTHING RETURNING` so exactly one request wins a key. The
//! winner's writes and its recorded response commit in one `BEGIN IMMEDIATE`
//! transaction (rule 2 of `crm-store`), so a crash can never leave an effect without
//! its recorded response; a reservation whose request died is reclaimed after
//! [`IN_FLIGHT_TIMEOUT_MS`]. Keys are kept [`RETENTION_MS`] (48 h, over the 24 h the
//! draft asks for); after that a replay is a new request.
//!
//! Personal data and the right to be forgotten: the request body is never stored, only
//! its SHA-256 ([`fingerprint`]); the recorded answer is, with the customer it concerns
//! (the request's audit subject). Erasing that customer (`crm_store::erasure`) drops the
//! answer and marks the key [`ERASED`]: a replay then answers `409 customer_erased`
//! (with `idempotent-replayed: true`) and never runs the request again.

use crate::{ApiError, ApiResult, Ctx, Response};
use crm_store::{Database, StoreError, Value, in_transaction};
use http::{HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};

/// The request header carrying the key.
pub const HEADER: &str = "idempotency-key";
/// The response header marking a replayed answer.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;
/// How long a key and its response are kept.
pub const RETENTION_MS: i64 = 48 * 3600 * 1000;
/// After this long an unfinished reservation is presumed dead and may be reclaimed.
pub const IN_FLIGHT_TIMEOUT_MS: i64 = 60 * 1000;
/// The fingerprint of a key whose answer was erased with its customer (a real one is
/// `sha256:…`, or `json:…` / `raw:…` when recorded before fingerprints were hashed).
pub const ERASED: &str = "erased";

/// Runs `work` at most once per `Idempotency-Key` for this caller, method and resource.
///
/// `work` gets the database inside an open transaction; everything it writes commits
/// together with the recorded response, or not at all. A 4xx answer is recorded and
/// replayed too (the same request would fail the same way); a 5xx is not, so a retry
/// after a failure runs again.
pub fn run(ctx: &Ctx<'_>, work: impl FnOnce(&dyn Database) -> ApiResult) -> ApiResult {
    let key = key(ctx)?;
    let scope = scope(ctx);
    let body = ctx.request.body();
    let fingerprint = fingerprint(body);
    let db = ctx.db()?;
    let now = ctx.now.unix_millis();

    if !reserve(db, &scope, &key, &fingerprint, now)? {
        return previous(ctx, db, &scope, &key, body, &fingerprint);
    }

    let outcome: ApiResult = in_transaction(db, |db| {
        let response = work(db)?;
        record(db, &scope, &key, &response, ctx.subject())?;
        Ok(response)
    });
    match outcome {
        Ok(response) => Ok(response),
        Err(e) if e.status().is_client_error() => {
            let response = e.to_response(&ctx.request_id);
            record(db, &scope, &key, &response, ctx.subject())?;
            Err(e)
        }
        Err(e) => {
            // A 5xx or a failed commit: free the key so the caller's retry runs again.
            release(db, &scope, &key)?;
            Err(e)
        }
    }
}

/// What one key is unique within: the caller (so one caller's key never replays another
/// caller's answer), the method, and the route with its parameters in canonical form (so
/// `/v1/customers/` and `/v1/customers`, or an id in another letter case, are one
/// resource, not two chances to create).
fn scope(ctx: &Ctx<'_>) -> String {
    let mut scope = format!("{} {} {}", ctx.actor(), ctx.request.method(), ctx.route);
    for (name, value) in ctx.params() {
        scope.push_str(&format!(" {name}={value}"));
    }
    scope
}

fn key(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    let bad = |detail: &str| ApiError::BadRequest {
        code: "invalid_idempotency_key",
        detail: detail.into(),
    };
    let raw = match ctx.request.headers().get(HEADER) {
        None => {
            return Err(ApiError::BadRequest {
                code: "missing_idempotency_key",
                detail:
                    "this request moves value or creates a resource: send an Idempotency-Key header"
                        .into(),
            });
        }
        Some(v) => v
            .to_str()
            .map_err(|_| bad("the Idempotency-Key must be printable ASCII"))?,
    };
    if raw.is_empty() || raw.len() > MAX_KEY_LEN || !raw.bytes().all(|b| (0x20..0x7f).contains(&b))
    {
        return Err(bad(
            "the Idempotency-Key must be 1 to 255 printable ASCII characters",
        ));
    }
    Ok(raw.to_owned())
}

/// What makes two requests "the same": the JSON value of the body (so key order and
/// whitespace do not matter), or the raw bytes when the body is not JSON. This is what
/// earlier versions stored as the fingerprint itself.
fn canonical(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        // serde_json's map is ordered by key, so this serialisation is canonical.
        Ok(value) => format!("json:{value}"),
        Err(_) => format!(
            "raw:{}",
            body.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
    }
}

/// The stored fingerprint: the SHA-256 of the canonical body, so that a request's
/// personal data is never kept for the sake of recognising its retry.
pub fn fingerprint(body: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(canonical(body).as_bytes());
    let mut out = String::with_capacity(7 + 2 * digest.len());
    out.push_str("sha256:");
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 15)]));
    }
    out
}

/// Whether `stored` fingerprints this request (`fingerprint` of `body`), as stored now
/// or before fingerprints were hashed.
fn same_request(stored: &str, fingerprint: &str, body: &[u8]) -> bool {
    if stored.starts_with("sha256:") {
        stored == fingerprint
    } else {
        stored == canonical(body)
    }
}

/// Claims the key; true when this request won it (new, or a dead reservation reclaimed).
fn reserve(
    db: &dyn Database,
    scope: &str,
    key: &str,
    fingerprint: &str,
    now: i64,
) -> Result<bool, StoreError> {
    // Bounded housekeeping on the write path keeps the table from growing forever.
    db.execute(
        "DELETE FROM idempotency_keys WHERE (scope, key) IN
           (SELECT scope, key FROM idempotency_keys WHERE created_at < ? LIMIT 16)",
        &[Value::Integer(now - RETENTION_MS)],
    )?;
    let claimed = db.execute(
        "INSERT INTO idempotency_keys (scope, key, fingerprint, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (scope, key) DO UPDATE
           SET fingerprint = excluded.fingerprint, created_at = excluded.created_at
           WHERE idempotency_keys.status IS NULL AND idempotency_keys.created_at < ?
         RETURNING key",
        &[
            Value::from(scope),
            Value::from(key),
            Value::from(fingerprint),
            Value::Integer(now),
            Value::Integer(now - IN_FLIGHT_TIMEOUT_MS),
        ],
    )?;
    Ok(!claimed.is_empty())
}

fn previous(
    ctx: &Ctx<'_>,
    db: &dyn Database,
    scope: &str,
    key: &str,
    body: &[u8],
    fingerprint: &str,
) -> ApiResult {
    let rows = db.execute(
        "SELECT fingerprint, status, content_type, location, etag, body
         FROM idempotency_keys WHERE scope = ? AND key = ?",
        &[Value::from(scope), Value::from(key)],
    )?;
    let Some(row) = rows.first() else {
        // Purged between our insert and this read: only possible for keys past
        // retention, so the caller may simply retry.
        return Err(ApiError::conflict(
            "idempotency_key_in_use",
            "retry the request",
        ));
    };
    let stored = row.str("fingerprint")?;
    if stored == ERASED {
        // Whatever the body: the answer is gone, and so is the customer it was about.
        let mut response = ApiError::conflict(
            "customer_erased",
            "the customer this request concerned was erased; its recorded answer is gone",
        )
        .to_response(&ctx.request_id);
        response
            .headers_mut()
            .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
        return Ok(response);
    }
    if !same_request(stored, fingerprint, body) {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            "was already used with a different request body",
        ));
    }
    let Some(status) = row.opt_i64("status")? else {
        return Err(ApiError::conflict(
            "request_in_progress",
            "a request with this Idempotency-Key is still being processed; retry shortly",
        ));
    };
    let mut response = http::Response::new(row.bytes("body")?.to_vec());
    *response.status_mut() =
        StatusCode::from_u16(status as u16).map_err(|e| ApiError::Internal(e.to_string()))?;
    let headers = response.headers_mut();
    for (name, column) in [
        (header::CONTENT_TYPE, "content_type"),
        (header::LOCATION, "location"),
        (header::ETAG, "etag"),
    ] {
        if let Some(value) = row
            .opt_str(column)?
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            headers.insert(name, value);
        }
    }
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    Ok(response)
}

/// Records `response` as the answer to the key, with the customer it concerns.
fn record(
    db: &dyn Database,
    scope: &str,
    key: &str,
    response: &Response,
    customer_id: Option<String>,
) -> Result<(), StoreError> {
    let header_text = |name: header::HeaderName| -> Value {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .into()
    };
    db.execute(
        "UPDATE idempotency_keys SET status = ?, content_type = ?, location = ?, etag = ?, body = ?,
            customer_id = ?
         WHERE scope = ? AND key = ?",
        &[
            Value::Integer(i64::from(response.status().as_u16())),
            header_text(header::CONTENT_TYPE),
            header_text(header::LOCATION),
            header_text(header::ETAG),
            Value::Blob(response.body().clone()),
            Value::from(customer_id),
            Value::from(scope),
            Value::from(key),
        ],
    )?;
    Ok(())
}

fn release(db: &dyn Database, scope: &str, key: &str) -> Result<(), StoreError> {
    db.execute(
        "DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status IS NULL",
        &[Value::from(scope), Value::from(key)],
    )?;
    Ok(())
}
