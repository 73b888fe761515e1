//! The one place where errors become HTTP: RFC 9457 problem details.

use crate::{RequestId, Response};
use crm_store::StoreError;
use http::{HeaderValue, Method, StatusCode, header};
use serde::Serialize;
use serde_json::{Map, Value};

/// Media type of every 4xx and 5xx body.
pub const PROBLEM_JSON: &str = "application/problem+json";
/// Base of the `type` URI; the problem's `code` is appended.
pub const PROBLEM_TYPE_BASE: &str = "https://errors.example/";

/// One invalid field in a 422 answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON path of the field (`address.postcode`, `tags[2].name`), or a query parameter.
    pub field: String,
    /// What is wrong with it, for a developer.
    pub message: String,
}

impl FieldError {
    /// An error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Every way a request can fail, each documenting its status.
#[derive(Debug)]
pub enum ApiError {
    /// 400: malformed JSON, unknown field, missing header.
    BadRequest {
        /// Stable machine code (`malformed_json`, `unknown_field`…).
        code: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// 401: no token, or one that fails any check; never says which (`invalid_token`).
    Unauthorized,
    /// 403: the caller is known but may not do this.
    Forbidden {
        /// Stable machine code (`forbidden`, `permission_not_declared`).
        code: &'static str,
        /// What is refused, without revealing what exists.
        detail: String,
    },
    /// 404: no such resource (or a path under the prefix that names nothing).
    NotFound(String),
    /// 405: the path exists, the method does not; lists what does.
    MethodNotAllowed(Vec<Method>),
    /// 409: the resource's state forbids this (`insufficient_points`, `duplicate_customer`…).
    Conflict {
        /// Stable machine code.
        code: &'static str,
        /// What conflicted.
        detail: String,
        /// Extra members for the problem body (e.g. `existingId`).
        extra: Map<String, Value>,
    },
    /// 412: `If-Match` names a stale version.
    PreconditionFailed(String),
    /// 413: the body is over the cap (bytes).
    PayloadTooLarge(usize),
    /// 415: the body is not one of the accepted media types.
    UnsupportedMediaType(&'static [&'static str]),
    /// 422: well-formed but invalid values, one entry per field.
    Validation(Vec<FieldError>),
    /// 431: too many request headers, or too large.
    HeadersTooLarge(String),
    /// 428: a precondition header (`If-Match`) is required.
    PreconditionRequired(&'static str),
    /// 503: try again after the given seconds (e.g. the database is busy).
    Unavailable {
        /// Seconds for `retry-after`.
        retry_after_secs: u32,
        /// What is unavailable.
        detail: String,
        /// Extra members for the problem body (e.g. which health check failed).
        extra: Map<String, Value>,
    },
    /// 500: a bug or an infrastructure failure; the text is logged, never sent.
    Internal(String),
}

impl ApiError {
    /// A 422 for one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    /// A 409 without extra members.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            code,
            detail: detail.into(),
            extra: Map::new(),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine code in the problem body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Forbidden { code, .. } => code,
            ApiError::Unauthorized => "invalid_token",
            ApiError::HeadersTooLarge(_) => "headers_too_large",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::PreconditionFailed(_) => "precondition_failed",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Validation(_) => "validation_failed",
            ApiError::PreconditionRequired(_) => "precondition_required",
            ApiError::Unavailable { .. } => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "Request is malformed",
            ApiError::Unauthorized => "Authentication required",
            ApiError::Forbidden { .. } => "Forbidden",
            ApiError::HeadersTooLarge(_) => "Request headers too large",
            ApiError::NotFound(_) => "Resource not found",
            ApiError::MethodNotAllowed(_) => "Method not allowed",
            ApiError::Conflict { .. } => "Request conflicts with the current state",
            ApiError::PreconditionFailed(_) => "Precondition failed",
            ApiError::PayloadTooLarge(_) => "Request body too large",
            ApiError::UnsupportedMediaType(_) => "Unsupported media type",
            ApiError::Validation(_) => "Request is invalid",
            ApiError::PreconditionRequired(_) => "Precondition required",
            ApiError::Unavailable { .. } => "Service temporarily unavailable",
            ApiError::Internal(_) => "Internal error",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::BadRequest { detail, .. }
            | ApiError::NotFound(detail)
            | ApiError::Forbidden { detail, .. }
            | ApiError::HeadersTooLarge(detail)
            | ApiError::Conflict { detail, .. }
            | ApiError::PreconditionFailed(detail)
            | ApiError::Unavailable { detail, .. } => detail.clone(),
            ApiError::MethodNotAllowed(allow) => format!(
                "allowed methods: {}",
                allow
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ApiError::Unauthorized => "a valid bearer token is required".into(),
            ApiError::PayloadTooLarge(limit) => format!("the body must be at most {limit} bytes"),
            ApiError::UnsupportedMediaType(accepted) => {
                format!("content-type must be {}", accepted.join(" or "))
            }
            ApiError::Validation(errors) => match errors.as_slice() {
                [one] => format!("{} {}", one.field, one.message),
                many => format!("{} fields are invalid", many.len()),
            },
            ApiError::PreconditionRequired(header) => format!("the {header} header is required"),
            // The real cause goes to the log only: a 5xx never leaks internals.
            ApiError::Internal(_) => "an unexpected error occurred; quote the requestId".into(),
        }
    }

    /// Renders the problem+json response, with `allow` / `retry-after` where they apply.
    pub fn to_response(&self, request_id: &RequestId) -> Response {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            Value::String(format!("{PROBLEM_TYPE_BASE}{}", self.code())),
        );
        body.insert("title".into(), self.title().into());
        body.insert("status".into(), self.status().as_u16().into());
        body.insert("detail".into(), self.detail().into());
        body.insert("code".into(), self.code().into());
        if let ApiError::Validation(errors) = self {
            let errors = errors
                .iter()
                .map(|e| serde_json::json!({"field": e.field, "message": e.message}))
                .collect();
            body.insert("errors".into(), Value::Array(errors));
        }
        if let ApiError::Conflict { extra, .. } | ApiError::Unavailable { extra, .. } = self {
            for (k, v) in extra {
                body.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        body.insert("requestId".into(), request_id.as_str().into());
        let bytes = serde_json::to_vec(&Value::Object(body)).unwrap_or_default();
        let mut response = http::Response::new(bytes);
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match self {
            ApiError::MethodNotAllowed(allow) => {
                let list = allow
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                if let Ok(value) = HeaderValue::from_str(&list) {
                    headers.insert(header::ALLOW, value);
                }
            }
            ApiError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::Unavailable {
                retry_after_secs, ..
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

/// The domain's field errors are one 422 listing them all.
impl From<Vec<crm_domain::Invalid>> for ApiError {
    fn from(errors: Vec<crm_domain::Invalid>) -> Self {
        ApiError::Validation(
            errors
                .into_iter()
                .map(|i| FieldError::new(i.field, i.message))
                .collect(),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy => ApiError::Unavailable {
                retry_after_secs: 1,
                detail: "the database is busy; retry shortly".into(),
                extra: Map::new(),
            },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Internal(cause) => write!(f, "{}: {cause}", self.code()),
            other => write!(f, "{}: {}", other.code(), other.detail()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(response: &Response) -> Value {
        serde_json::from_slice(response.body()).expect("problem body is JSON")
    }

    fn rid() -> RequestId {
        RequestId::from_header(Some("req-1"))
    }

    #[test]
    fn every_error_class_maps_to_its_status_and_a_problem_body() {
        let cases: Vec<(ApiError, u16, &str)> = vec![
            (
                ApiError::BadRequest {
                    code: "malformed_json",
                    detail: "x".into(),
                },
                400,
                "malformed_json",
            ),
            (ApiError::NotFound("no customer".into()), 404, "not_found"),
            (
                ApiError::MethodNotAllowed(vec![Method::GET]),
                405,
                "method_not_allowed",
            ),
            (
                ApiError::conflict("insufficient_points", "balance 10"),
                409,
                "insufficient_points",
            ),
            (
                ApiError::PreconditionFailed("stale".into()),
                412,
                "precondition_failed",
            ),
            (ApiError::PayloadTooLarge(10), 413, "payload_too_large"),
            (
                ApiError::UnsupportedMediaType(&["application/json"]),
                415,
                "unsupported_media_type",
            ),
            (
                ApiError::invalid("monthlyIncome", "must be positive"),
                422,
                "validation_failed",
            ),
            (
                ApiError::PreconditionRequired("if-match"),
                428,
                "precondition_required",
            ),
            (ApiError::from(StoreError::Busy), 503, "service_unavailable"),
            (ApiError::Internal("boom".into()), 500, "internal_error"),
        ];
        for (error, status, code) in cases {
            let response = error.to_response(&rid());
            assert_eq!(response.status().as_u16(), status, "{code}");
            assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
            let json = body(&response);
            assert_eq!(json["status"], status, "{code}");
            assert_eq!(json["code"], code);
            assert_eq!(json["type"], format!("{PROBLEM_TYPE_BASE}{code}"));
            assert_eq!(json["requestId"], "req-1");
            assert!(json["title"].is_string() && json["detail"].is_string());
        }
    }

    #[test]
    fn a_405_lists_the_allowed_methods_in_the_allow_header() {
        let response =
            ApiError::MethodNotAllowed(vec![Method::GET, Method::PATCH]).to_response(&rid());
        assert_eq!(response.headers()[header::ALLOW], "GET, PATCH");
    }

    #[test]
    fn a_busy_database_answers_503_with_retry_after() {
        let response = ApiError::from(StoreError::Busy).to_response(&rid());
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn a_500_never_leaks_the_internal_cause() {
        let secret = "no such table: customers at /srv/.spin/sqlite_db.db";
        let response = ApiError::from(StoreError::Backend(secret.into())).to_response(&rid());
        let text = String::from_utf8_lossy(response.body()).into_owned();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            !text.contains("customers") && !text.contains("/srv"),
            "{text}"
        );
    }

    #[test]
    fn a_422_lists_every_field_error() {
        let error = ApiError::Validation(vec![
            FieldError::new("email", "is not an e-mail address"),
            FieldError::new("phone", "must be E.164"),
        ]);
        let json = body(&error.to_response(&rid()));
        assert_eq!(json["errors"][0]["field"], "email");
        assert_eq!(json["errors"][1]["message"], "must be E.164");
        assert_eq!(json["detail"], "2 fields are invalid");
    }

    #[test]
    fn a_conflict_carries_its_extra_members_without_overwriting_standard_ones() {
        let mut extra = Map::new();
        extra.insert("existingId".into(), "cus_1".into());
        extra.insert("status".into(), 200.into());
        let error = ApiError::Conflict {
            code: "duplicate_customer",
            detail: "exists".into(),
            extra,
        };
        let json = body(&error.to_response(&rid()));
        assert_eq!(json["existingId"], "cus_1");
        assert_eq!(json["status"], 409);
    }
}
