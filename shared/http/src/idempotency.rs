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

use crate::{ApiError, ApiResult, Ctx, Response};
use crm_store::{Database, StoreError, Value, in_transaction};
use http::{HeaderValue, StatusCode, header};

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

/// Runs `work` at most once per `Idempotency-Key` for this caller, method and resource.
///
/// `work` gets the database inside an open transaction; everything it writes commits
/// together with the recorded response, or not at all. A 4xx answer is recorded and
/// replayed too (the same request would fail the same way); a 5xx is not, so a retry
/// after a failure runs again.
pub fn run(ctx: &Ctx<'_>, work: impl FnOnce(&dyn Database) -> ApiResult) -> ApiResult {
    let key = key(ctx)?;
    let scope = scope(ctx);
    let fingerprint = fingerprint(ctx.request.body());
    let db = ctx.db()?;
    let now = ctx.now.unix_millis();

    if !reserve(db, &scope, &key, &fingerprint, now)? {
        return previous(db, &scope, &key, &fingerprint);
    }

    let outcome: ApiResult = in_transaction(db, |db| {
        let response = work(db)?;
        record(db, &scope, &key, &response)?;
        Ok(response)
    });
    match outcome {
        Ok(response) => Ok(response),
        Err(e) if e.status().is_client_error() => {
            record(db, &scope, &key, &e.to_response(&ctx.request_id))?;
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
/// whitespace do not matter), or the raw bytes when the body is not JSON.
fn fingerprint(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        // serde_json's map is ordered by key, so this serialisation is canonical.
        Ok(value) => format!("json:{value}"),
        Err(_) => format!(
            "raw:{}",
            body.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
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

fn previous(db: &dyn Database, scope: &str, key: &str, fingerprint: &str) -> ApiResult {
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
    if row.str("fingerprint")? != fingerprint {
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

fn record(
    db: &dyn Database,
    scope: &str,
    key: &str,
    response: &Response,
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
        "UPDATE idempotency_keys SET status = ?, content_type = ?, location = ?, etag = ?, body = ?
         WHERE scope = ? AND key = ?",
        &[
            Value::Integer(i64::from(response.status().as_u16())),
            header_text(header::CONTENT_TYPE),
            header_text(header::LOCATION),
            header_text(header::ETAG),
            Value::Blob(response.body().clone()),
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
