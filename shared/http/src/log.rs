//! One JSON object per request on stdout, which Spin collects per component.
//! Never personal data: no query string (it may hold a name), no bodies, no tokens;
//! the actor is an opaque id.

use crate::RequestId;
use crm_domain::Timestamp;
use serde::Serialize;

/// The fields of one request's log line.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RequestLog<'a> {
    pub time: Timestamp,
    pub level: &'static str,
    pub component: &'static str,
    pub request_id: &'a RequestId,
    /// The caller's `sub` (an opaque staff or customer id), when authenticated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<&'a str>,
    pub method: &'a str,
    /// The matched route pattern (ids stay out of it), or `null` when nothing matched.
    pub route: Option<&'static str>,
    pub status: u16,
    pub duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Serialize for RequestId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

pub(crate) fn emit(line: &RequestLog<'_>) {
    if let Ok(text) = serde_json::to_string(line) {
        println!("{text}");
    }
}
