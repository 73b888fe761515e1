//! HTTP ⇄ domain for the customer profile. Each handler parses and validates at the
//! edge, calls the repository, and shapes the answer; nothing here is business logic.

use crate::repo::{self, WriteError};
use crate::search::{self, Filter};
use crm_domain::customer::{
    Customer, CustomerDraft, CustomerStatus, Mode, Segment, ValueTier, effective_status,
};
use crm_domain::id::CustomerId;
use crm_domain::page::Cursor;
use crm_domain::security::{Visibility, Writing, customer_field, may_write_customer_field};
use crm_domain::time::Timestamp;
use crm_http::{
    ApiError, ApiResult, Ctx, FieldError, MAX_BODY_BYTES, MERGE_PATCH_JSON, QueryParams, etag,
    from_json_value, idempotency, json_body, json_response, json_value, merge_patch, new_ulid,
    require_if_match, with_etag,
};
use http::{HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};

/// Fields the server owns: a patch naming them is refused rather than ignored.
const READ_ONLY: &[&str] = &[
    "id",
    "etag",
    "valueTier",
    "possibleDuplicateOf",
    "createdAt",
    "updatedAt",
];

/// The refusal of a write. Which customer already holds a national id is only said to
/// a caller who may see national ids in full: to anyone else it would turn the
/// endpoint into a lookup of whose id is whose.
fn write_error(ctx: &Ctx<'_>, e: WriteError) -> ApiError {
    match e {
        WriteError::DuplicateNationalId(existing) => {
            let roles = ctx.identity().map_or(&[][..], |i| i.roles.as_slice());
            let mut extra = Map::new();
            let detail = if customer_field(roles, "nationalId") == Visibility::Show {
                extra.insert("existingId".into(), Value::String(existing.clone()));
                format!("customer {existing} already has this national id")
            } else {
                "another customer already has this national id".to_owned()
            };
            ApiError::Conflict {
                code: "duplicate_national_id",
                detail,
                extra,
            }
        }
        WriteError::Stale => {
            ApiError::PreconditionFailed("the customer changed while this request ran".into())
        }
        WriteError::Store(e) => e.into(),
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such customer".into())
}

/// The id in the path; a malformed one names no customer, so it is a 404.
fn path_id(ctx: &Ctx<'_>) -> Result<CustomerId, ApiError> {
    ctx.param("id")
        .and_then(|s| CustomerId::parse(s).ok())
        .ok_or_else(not_found)
}

/// The API representation: the stored profile with its effective status and etag, cut
/// down to the fields the caller's roles may see (`crm_domain::security`); `list` also
/// masks contact and identity fields, as list results must.
fn view(
    ctx: &Ctx<'_>,
    customer: &Customer,
    version: i64,
    last_activity: Timestamp,
    list: bool,
) -> Result<Value, ApiError> {
    let mut value = json_value(customer)?;
    if let Value::Object(map) = &mut value {
        let status = effective_status(customer.status, last_activity, ctx.now);
        map.insert("status".into(), Value::String(status.as_str().into()));
        map.insert("etag".into(), Value::String(etag(version)));
    }
    ctx.customer_view(&mut value, list);
    Ok(value)
}

/// The members of `draft` that differ from `before` (a stored profile's draft), or, for a
/// new customer, that are given a value other than the default.
/// A draft that cannot be compared is an error, never "nothing written": the answer
/// decides which members the caller needs the right to write.
fn written_members(
    draft: &CustomerDraft,
    before: Option<&CustomerDraft>,
) -> Result<Vec<String>, ApiError> {
    let after = json_value(draft)?;
    let before = match before {
        Some(previous) => json_value(previous)?,
        // What a new customer is when a member is not given.
        None => json!({"kycStatus": "pending", "status": "active"}),
    };
    let Value::Object(after) = after else {
        return Err(ApiError::Internal(
            "a customer draft is not a JSON object".into(),
        ));
    };
    Ok(after
        .into_iter()
        .filter(|(name, value)| {
            let was = before.get(name).unwrap_or(&Value::Null);
            value != was && !(value.is_null() && was.is_null())
        })
        .map(|(name, _)| name)
        .collect())
}

/// 403 `field_not_writable` naming every member the caller's roles may not set
/// (`crm_domain::security::CUSTOMER_WRITES`).
fn may_write(ctx: &Ctx<'_>, members: &[String], writing: Writing) -> Result<(), ApiError> {
    let roles = ctx.identity().map_or(&[][..], |i| i.roles.as_slice());
    let refused: Vec<&str> = members
        .iter()
        .map(String::as_str)
        .filter(|m| !may_write_customer_field(roles, m, writing))
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    Err(ApiError::Forbidden {
        code: "field_not_writable",
        detail: format!("your roles may not set {}", refused.join(", ")),
    })
}

/// `POST /v1/customers`.
pub fn create(ctx: &Ctx<'_>) -> ApiResult {
    let draft: CustomerDraft = ctx.json()?;
    let draft = draft
        .validate(Mode::Create, ctx.now.date(), ctx.now)
        .map_err(ApiError::from)?;
    may_write(ctx, &written_members(&draft, None)?, Writing::Create)?;
    idempotency::run(ctx, |db| {
        let id = CustomerId::new(new_ulid(ctx.now));
        let mut draft = draft;
        // A relationship manager's new customer joins their book (or they could not
        // open the record they just made); only admin assigns anyone else.
        if let Some(manager) = ctx.book()
            && draft.relationship_manager_id.is_none()
        {
            draft.relationship_manager_id = Some(manager.to_owned());
        }
        let mut customer = Customer::create(id, draft, Vec::new(), ctx.now);
        customer.possible_duplicate_of = repo::possible_duplicates(db, &customer)?;
        if let Err(e) = repo::insert(db, &customer) {
            // The refusal concerns the holder: its audit record says so (and an erasure
            // of the holder finds this stored answer), whatever the caller is told.
            if let WriteError::DuplicateNationalId(existing) = &e {
                ctx.set_customer(existing);
            }
            return Err(write_error(ctx, e));
        }
        ctx.set_customer(&id.to_string());
        let body = view(ctx, &customer, 1, customer.created_at, false)?;
        let mut response = with_etag(json_response(StatusCode::CREATED, &body)?, 1)?;
        let location = HeaderValue::from_str(&format!("/v1/customers/{id}"))
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        response.headers_mut().insert(header::LOCATION, location);
        Ok(response)
    })
}

/// `GET /v1/customers/{id}`.
pub fn get(ctx: &Ctx<'_>) -> ApiResult {
    let id = path_id(ctx)?;
    let (customer, version) = repo::get(ctx.db()?, &id)?.ok_or_else(not_found)?;
    let last_activity = repo::last_activity(ctx.db()?, &customer)?;
    with_etag(
        json_response(
            StatusCode::OK,
            &view(ctx, &customer, version, last_activity, false)?,
        )?,
        version,
    )
}

/// `PATCH /v1/customers/{id}`: JSON Merge Patch with `If-Match`.
pub fn patch(ctx: &Ctx<'_>) -> ApiResult {
    let id = path_id(ctx)?;
    let patch: Value = json_body(ctx.request, MERGE_PATCH_JSON, MAX_BODY_BYTES)?;
    let db = ctx.db()?;
    let (current, version) = repo::get(db, &id)?.ok_or_else(not_found)?;
    require_if_match(ctx, version)?;
    let Value::Object(members) = &patch else {
        return Err(ApiError::invalid(
            "body",
            "a merge patch of a customer must be a JSON object",
        ));
    };
    let read_only: Vec<FieldError> = READ_ONLY
        .iter()
        .filter(|f| members.contains_key(**f))
        .map(|f| FieldError::new(*f, "is set by the server and cannot be changed"))
        .collect();
    if !read_only.is_empty() {
        return Err(ApiError::Validation(read_only));
    }
    let mut document =
        serde_json::to_value(current.draft()).map_err(|e| ApiError::Internal(e.to_string()))?;
    merge_patch(&mut document, &patch);
    let draft: CustomerDraft = from_json_value(document)?;
    let draft = draft
        .validate(Mode::Update(&current), ctx.now.date(), ctx.now)
        .map_err(ApiError::from)?;
    may_write(
        ctx,
        &written_members(&draft, Some(&current.draft()))?,
        Writing::Update,
    )?;
    let updated = current.updated(draft, ctx.now);
    let new_version = crm_store::in_transaction(db, |db| repo::update(db, &updated, version))
        .map_err(|e| write_error(ctx, e))?;
    let last_activity = repo::last_activity(db, &updated)?;
    with_etag(
        json_response(
            StatusCode::OK,
            &view(ctx, &updated, new_version, last_activity, false)?,
        )?,
        new_version,
    )
}

/// `DELETE /v1/customers/{id}`: the right to be forgotten, in every service at once.
/// The customer's record becomes an anonymised shell (so ledgers and histories keep
/// their integrity), then every owner's erasure part runs (`crm_store::erasure`): all
/// of it inside this request's one transaction, with `secure_delete` on so that what
/// is erased is overwritten in the file, not left in its free space, and the WAL is
/// checkpointed and truncated once the transaction has committed.
pub fn erase(ctx: &Ctx<'_>) -> ApiResult {
    let id = path_id(ctx)?;
    crm_store::erasure::with_secure_delete(ctx.db()?, |db| {
        if !repo::erase(db, &id, ctx.now)? {
            return Err(not_found());
        }
        crm_store::erasure::erase(db, &id.to_string())?;
        Ok(())
    })?;
    // The WAL still holds the pages as they were: fold it in and empty it once committed.
    ctx.after_commit(crm_store::erasure::CHECKPOINT);
    ctx.note("erased in every service");
    let mut response = http::Response::new(Vec::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}

const LIST_PARAMS: &[&str] = &[
    "q", "segment", "tier", "tag", "rmId", "status", "limit", "cursor",
];
const MAX_Q: usize = 200;

fn parse_enum<T>(
    ctx: &Ctx<'_>,
    name: &str,
    parse: fn(&str) -> Option<T>,
    expected: String,
) -> Result<Option<T>, ApiError> {
    match ctx.query(name)? {
        None => Ok(None),
        Some(raw) => parse(&raw)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(name, format!("must be one of {expected}"))),
    }
}

/// `GET /v1/customers?q=&segment=&tier=&tag=&rmId=&status=&limit=&cursor=`.
pub fn list(ctx: &Ctx<'_>) -> ApiResult {
    let mut params = QueryParams::new(ctx, LIST_PARAMS)?;
    let limit = params.limit()?;
    let cursor = params.cursor(|key| CustomerId::parse(key).is_ok().then(|| key.to_owned()))?;
    let q = ctx.query("q")?.map(|q| q.trim().to_owned());
    if let Some(q) = &q
        && (q.is_empty() || q.chars().count() > MAX_Q)
    {
        params.reject("q", format!("must be 1 to {MAX_Q} characters"));
    }
    let status = parse_enum(
        ctx,
        "status",
        CustomerStatus::parse,
        "active|dormant|closed".into(),
    )?;
    if status == Some(CustomerStatus::Erased) {
        params.reject(
            "status",
            "erased customers are not listed; see /v1/customers/segments/summary",
        );
    }
    let filter = Filter {
        q,
        segment: parse_enum(ctx, "segment", Segment::parse, Segment::expected())?,
        tier: parse_enum(ctx, "tier", ValueTier::parse, ValueTier::expected())?,
        tag: ctx.query("tag")?,
        rm_id: ctx.query("rmId")?,
        status,
    };
    // A relationship manager lists their own book, and no other.
    let mut filter = filter;
    if let Some(manager) = ctx.book() {
        if filter.rm_id.as_deref().is_some_and(|rm| rm != manager) {
            return Err(ApiError::Forbidden {
                code: "outside_book",
                detail: "a relationship manager lists only their own book".into(),
            });
        }
        filter.rm_id = Some(manager.to_owned());
    }
    let limit = params.finish(limit)?;
    let after = cursor.as_deref();
    let (page, more) = search::list(ctx.db()?, &filter, after, limit.get(), ctx.now)?;
    let next = match (more, page.last()) {
        (true, Some(last)) => Some(Cursor::after(&last.customer.id.to_string()).encode()),
        _ => None,
    };
    let items = page
        .iter()
        .map(|l| view(ctx, &l.customer, l.version, l.last_activity, true))
        .collect::<Result<Vec<Value>, ApiError>>()?;
    ctx.record_list_read(items.len(), &["q"]);
    json_response(
        StatusCode::OK,
        &json!({ "items": items, "nextCursor": next }),
    )
}

/// `GET /v1/customers/segments/summary`: counts per segment, value tier and status.
pub fn summary(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let rows = search::summary(ctx.db()?, ctx.now)?;
    let mut by_segment: Map<String, Value> = Segment::ALL
        .iter()
        .map(|s| (s.as_str().into(), json!(0)))
        .collect();
    let mut by_tier: Map<String, Value> = ValueTier::ALL
        .iter()
        .map(|t| (t.as_str().into(), json!(0)))
        .collect();
    let mut by_status: Map<String, Value> = CustomerStatus::ALL
        .iter()
        .map(|s| (s.as_str().into(), json!(0)))
        .collect();
    let mut total = 0;
    let add = |map: &mut Map<String, Value>, key: &str, n: i64| {
        let entry = map.entry(key.to_owned()).or_insert(json!(0));
        *entry = json!(entry.as_i64().unwrap_or(0) + n);
    };
    for (segment, tier, status, n) in rows {
        add(&mut by_status, &status, n);
        if status != CustomerStatus::Erased.as_str() {
            add(&mut by_segment, &segment, n);
            add(&mut by_tier, &tier, n);
            total += n;
        }
    }
    json_response(
        StatusCode::OK,
        &json!({
            "total": total,
            "bySegment": by_segment,
            "byValueTier": by_tier,
            "byStatus": by_status,
            "generatedAt": ctx.now,
        }),
    )
}

/// The single-customer representation as the caller may see it (shared with the 360 view).
pub fn profile_view(
    ctx: &Ctx<'_>,
    customer: &Customer,
    version: i64,
    last_activity: Timestamp,
) -> Result<Value, ApiError> {
    view(ctx, customer, version, last_activity, false)
}
