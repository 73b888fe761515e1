//! No request panics a service: every component's query parameters, path parameters
//! and JSON bodies, near-valid (a valid value with characters replaced, inserted or
//! removed, often multi-byte) or arbitrary, go through the real handlers over one set
//! of native stores and come back below 500, a 4xx as problem+json. Under Spin a panic
//! aborts the instance: an empty 500, no log line, no audit record.
//!
//! It lives here because this crate already has every other service as a
//! dev-dependency (for the 360° view), so one file reaches all their handlers.

use crm_http::testing::{TestService, json};
use crm_http::{PROBLEM_JSON, Response, Service};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

const ULID: &str = "[0-7][0-9A-HJKMNP-TV-Z]{25}";

/// The services, all over the stores of the first.
struct App {
    profile: TestService<'static>,
    others: Vec<TestService<'static>>,
    customer: String,
    complaint: String,
    application: String,
    entry: String,
}

impl App {
    /// The service that serves `path`.
    fn service(&self, path: &str) -> &TestService<'static> {
        let prefix = |p: &str| path.starts_with(p);
        let index = if prefix("/v1/interactions") {
            0
        } else if prefix("/v1/loans") {
            1
        } else if prefix("/v1/loyalty") {
            2
        } else if prefix("/v1/recommendations") {
            3
        } else {
            return &self.profile;
        };
        &self.others[index]
    }

    /// `path` with `:customer`, `:complaint`, `:application` and `:entry` filled in.
    fn fill(&self, path: &str) -> String {
        path.replace(":customer", &self.customer)
            .replace(":complaint", &self.complaint)
            .replace(":application", &self.application)
            .replace(":entry", &self.entry)
    }
}

/// The `field` of a created resource.
fn created(response: &Response, what: &str, field: &str) -> String {
    let body = json(response);
    assert!(response.status().is_success(), "{what}: {body}");
    body[field]
        .as_str()
        .unwrap_or_else(|| panic!("{what} has no {field}: {body}"))
        .to_owned()
}

fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let profile = TestService::new(&customer_profile::SERVICE, "no_panics");
        let services: [&'static Service; 4] = [
            &interactions::SERVICE,
            &loan_preapproval::SERVICE,
            &loyalty::SERVICE,
            &recommendations::SERVICE,
        ];
        let others: Vec<_> = services.iter().map(|s| profile.alongside(s)).collect();
        let key = [("idempotency-key", "setup")];
        let customer = created(
            &profile.post_json("/v1/customers", &customer_body(), &key),
            "customer",
            "id",
        );
        let complaint = created(
            &others[0].post_json("/v1/interactions", &interaction_body(&customer), &key),
            "complaint",
            "complaintId",
        );
        let application = created(
            &others[1].post_json("/v1/loans/applications", &application_body(&customer), &key),
            "loan application",
            "id",
        );
        let entry = created(
            &others[2].post_json(
                &format!("/v1/loyalty/accounts/{customer}/earn"),
                &json!({"eventType": "card_spend",
                        "amount": {"amount": 123_456, "currency": "CNY"},
                        "reference": "txn-1"}),
                &key,
            ),
            "loyalty entry",
            "id",
        );
        App {
            profile,
            others,
            customer,
            complaint,
            application,
            entry,
        }
    })
}

fn customer_body() -> Value {
    json!({
        "fullName": "Chen Jing",
        "dateOfBirth": "1985-06-01",
        "nationalId": "310101198506011234",
        "nationalIdCountry": "CN",
        "email": "chen.jing@example.com",
        "phone": "+8613900139000",
        "address": {"line1": "1 Bund Road", "city": "Shanghai", "postalCode": "200000",
                    "country": "CN"},
        "segment": "mass_affluent",
        "riskTolerance": "balanced",
        "monthlyIncome": {"amount": 3_000_000, "currency": "CNY"},
        "totalAssets": {"amount": 80_000_000, "currency": "CNY"},
        "creditScore": 740,
        "employmentStatus": "employed",
        "holdings": [{"productCode": "CARD_GOLD", "openedAt": "2020-01-01T00:00:00Z"}],
        "tags": [{"family": "activity_behaviour", "name": "traveller"}],
        "relationshipManagerId": "rm-7"
    })
}

fn interaction_body(customer: &str) -> Value {
    json!({
        "customerId": customer,
        "channel": "phone",
        "direction": "inbound",
        "type": "complaint",
        "subject": "Card fee charged twice",
        "notes": "Customer called about a duplicate fee.",
        "outcome": "Refund requested",
        "sentiment": "negative",
        "agentId": "agent-7",
        "occurredAt": "2026-01-05T09:30:00Z",
        "complaint": {"severity": "medium", "category": "fees_and_charges", "regulatory": false}
    })
}

fn application_body(customer: &str) -> Value {
    json!({
        "customerId": customer,
        "product": "personal",
        "amount": {"amount": 10_000_000, "currency": "CNY"},
        "termMonths": 36,
        "purpose": "home renovation",
        "monthlyIncome": {"amount": 2_000_000, "currency": "CNY"},
        "monthlyDebtPayments": {"amount": 100_000, "currency": "CNY"},
        "creditScore": 720,
        "employmentStatus": "employed",
        "employmentMonths": 48
    })
}

/// Every write and a valid body for it (`:customer`… filled in by [`App::fill`]).
fn writes() -> Vec<(&'static str, &'static str, Value)> {
    let c = ":customer";
    vec![
        ("POST", "/v1/customers", customer_body()),
        (
            "PATCH",
            "/v1/customers/:customer",
            json!({"fullName": "Chen Jing", "email": null, "address": {"city": "Beijing"}}),
        ),
        ("POST", "/v1/customers/audit/seals", json!({})),
        ("POST", "/v1/interactions", interaction_body(c)),
        (
            "POST",
            "/v1/interactions/surveys",
            json!({"customerId": c, "kind": "nps", "score": 9, "comment": "Quick and kind"}),
        ),
        (
            "POST",
            "/v1/interactions/complaints/:complaint/transitions",
            json!({"to": "assigned", "assignee": "agent-9", "note": "Taking it"}),
        ),
        ("POST", "/v1/loans/quote", application_body(c)),
        ("POST", "/v1/loans/applications", application_body(c)),
        (
            "POST",
            "/v1/loans/applications/:application/transitions",
            json!({"to": "withdrawn", "note": "Changed my mind"}),
        ),
        (
            "POST",
            "/v1/loans/applications/:application/replay",
            json!({}),
        ),
        (
            "POST",
            "/v1/loyalty/accounts/:customer/earn",
            json!({"eventType": "card_spend", "amount": {"amount": 123_456, "currency": "CNY"},
                   "reference": "txn-0001"}),
        ),
        (
            "POST",
            "/v1/loyalty/accounts/:customer/redeem",
            json!({"points": 5, "rewardCode": "CINEMA-2", "reference": "r-1"}),
        ),
        (
            "POST",
            "/v1/loyalty/accounts/:customer/adjust",
            json!({"points": -3, "reason": "goodwill", "reference": "adj-1"}),
        ),
        (
            "POST",
            "/v1/loyalty/entries/:entry/reverse",
            json!({"reason": "posted in error"}),
        ),
        (
            "POST",
            "/v1/loyalty/expiry-runs",
            json!({"asOf": "2026-01-01T00:00:00Z", "limit": 10}),
        ),
        (
            "PUT",
            "/v1/recommendations/products/CARD_TEST",
            json!({"name": "Test card", "category": "card", "riskLevel": 1, "minAge": 18,
                   "maxAge": 80, "minMonthlyIncome": {"amount": 0, "currency": "CNY"},
                   "segments": ["retail"], "requiresConsent": "marketing"}),
        ),
        (
            "POST",
            "/v1/recommendations/:customer/feedback",
            json!({"productCode": "CARD_GOLD", "action": "dismissed", "channel": "mobile_app"}),
        ),
    ]
}

/// A JSON value a client could send, strings often multi-byte, numbers often extreme.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "\\PC{0,12}".prop_map(Value::String),
        near("20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z")
            .prop_map(Value::String),
        near(&format!("(cus|int|cmp|lpa|lpt)_{ULID}")).prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A member of a body changed: replaced (at any depth), removed or added.
#[derive(Debug, Clone)]
enum Change {
    Replace(Vec<Index>, Value),
    Remove(Vec<Index>),
    Add(String, Value),
}

fn change() -> impl Strategy<Value = Change> {
    let path = proptest::collection::vec(any::<Index>(), 1..4);
    prop_oneof![
        6 => (path.clone(), json_value()).prop_map(|(p, v)| Change::Replace(p, v)),
        1 => path.prop_map(Change::Remove),
        1 => ("[a-zA-Z]{1,12}", json_value()).prop_map(|(k, v)| Change::Add(k, v)),
    ]
}

/// The member of `value` that `path` leads to, as deep as the value goes.
fn member<'v>(value: &'v mut Value, path: &[Index]) -> &'v mut Value {
    let Some((first, rest)) = path.split_first() else {
        return value;
    };
    let is_leaf = match value {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => true,
    };
    if is_leaf {
        return value;
    }
    match value {
        Value::Object(map) => {
            let i = first.index(map.len());
            match map.values_mut().nth(i) {
                Some(child) => member(child, rest),
                None => unreachable!("an index within the map"),
            }
        }
        Value::Array(items) => {
            let i = first.index(items.len());
            member(&mut items[i], rest)
        }
        _ => unreachable!("a leaf returned above"),
    }
}

fn apply(mut body: Value, change: &Change) -> Value {
    match change {
        Change::Replace(path, value) => *member(&mut body, path) = value.clone(),
        Change::Remove(path) => {
            if let Value::Object(map) = &mut body
                && !map.is_empty()
            {
                let key = map.keys().nth(path[0].index(map.len())).cloned();
                if let Some(key) = key {
                    map.remove(&key);
                }
            }
        }
        Change::Add(key, value) => {
            if let Value::Object(map) = &mut body {
                map.insert(key.clone(), value.clone());
            }
        }
    }
    body
}

/// A text near `valid` (characters replaced, inserted or removed).
fn near(valid: &str) -> impl Strategy<Value = String> + use<> {
    let edit = (
        any::<Index>(),
        0..3u8,
        prop_oneof![
            any::<char>(),
            Just('é'),
            Just('张'),
            Just('\u{1F600}'),
            Just('\u{0}'),
        ],
    );
    (
        proptest::string::string_regex(valid).expect("a valid regex"),
        proptest::collection::vec(edit, 1..=3),
    )
        .prop_map(|(text, edits)| {
            let mut chars: Vec<char> = text.chars().collect();
            for (at, kind, c) in edits {
                match kind {
                    0 if !chars.is_empty() => {
                        let i = at.index(chars.len());
                        chars[i] = c;
                    }
                    1 => chars.insert(at.index(chars.len() + 1), c),
                    _ if !chars.is_empty() => {
                        chars.remove(at.index(chars.len()));
                    }
                    _ => {}
                }
            }
            chars.into_iter().collect()
        })
}

/// Any text, or a text near `valid`.
fn text_near(valid: &str) -> impl Strategy<Value = String> + use<> {
    prop_oneof![1 => any::<String>(), 3 => near(valid)]
}

/// Percent-encodes every byte outside the unreserved set, as a client does.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// A cursor token: hex of a near-valid sort key, or near-valid hex.
fn cursor() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        near(&format!("[0-9]{{13}}\\|(int|cmp)_{ULID}")),
        near(&format!("(cus|lpa)_{ULID}")),
        near("[0-9]{1,6}"),
        near("[A-Z][A-Z0-9_]{1,10}"),
    ];
    prop_oneof![3 => key.prop_map(|k| hex(&k)), 1 => near("([0-9a-f]{2}){1,20}")]
}

const TIMESTAMP: &str = "20[0-9]{2}-(0[1-9]|1[0-2])-[012][1-8]T[01][0-9]:[0-5][0-9]:[0-5][0-9]\
                         (\\.[0-9]{1,3})?(Z|[+-]0[0-9]:[0-5][0-9])";

/// The value format of a query parameter.
fn format_of(param: &str) -> String {
    match param {
        "from" | "to" => TIMESTAMP.to_owned(),
        "limit" => "[0-9]{1,3}".to_owned(),
        "customerId" => format!("cus_{ULID}"),
        "headSeq" => "[0-9]{1,4}".to_owned(),
        "headMac" => "[0-9a-f]{64}".to_owned(),
        "overdue" | "explain" | "active" => "(true|false)".to_owned(),
        "q" => "[A-Za-z ]{1,12}".to_owned(),
        _ => "[a-z_]{2,16}".to_owned(),
    }
}

/// Every GET with query parameters, and the parameters it knows.
const READS: &[(&str, &[&str])] = &[
    (
        "/v1/customers",
        &[
            "q", "segment", "tier", "tag", "rmId", "status", "limit", "cursor",
        ],
    ),
    ("/v1/customers/:customer/audit", &["limit", "cursor"]),
    ("/v1/customers/audit/verify", &["headSeq", "headMac"]),
    (
        "/v1/interactions?customerId=:customer",
        &["channel", "type", "from", "to", "limit", "cursor"],
    ),
    (
        "/v1/interactions/complaints",
        &[
            "status",
            "assignee",
            "customerId",
            "overdue",
            "limit",
            "cursor",
        ],
    ),
    (
        "/v1/interactions/surveys/summary",
        &["from", "to", "channel"],
    ),
    (
        "/v1/loans/applications",
        &["customerId", "product", "status", "limit", "cursor"],
    ),
    (
        "/v1/loyalty/accounts/:customer/ledger",
        &["kind", "limit", "cursor"],
    ),
    (
        "/v1/recommendations/:customer",
        &["limit", "channel", "explain"],
    ),
    (
        "/v1/recommendations/products",
        &["limit", "cursor", "category", "active"],
    ),
    ("/v1/recommendations/stats", &["from", "to"]),
];

/// A read with one to three of its parameters, each valid-ish and percent-encoded.
fn read() -> impl Strategy<Value = String> {
    proptest::sample::select(READS).prop_flat_map(|(path, params)| {
        let pair = proptest::sample::select(params).prop_flat_map(|name| {
            let value = if name == "cursor" {
                cursor().boxed()
            } else {
                text_near(&format_of(name)).boxed()
            };
            (Just(name), value).prop_map(|(name, value)| format!("{name}={}", encoded(&value)))
        });
        proptest::collection::vec(pair, 1..=3).prop_map(move |pairs| {
            let joiner = if path.contains('?') { '&' } else { '?' };
            format!("{path}{joiner}{}", pairs.join("&"))
        })
    })
}

/// Every GET with a path parameter, and the format of that parameter.
const ITEMS: &[(&str, &str)] = &[
    ("/v1/customers/{}", "cus_ULID"),
    ("/v1/customers/{}/360", "cus_ULID"),
    ("/v1/customers/{}/audit", "cus_ULID"),
    ("/v1/interactions/{}", "int_ULID"),
    ("/v1/interactions/complaints/{}", "cmp_ULID"),
    ("/v1/interactions/surveys/{}", "svy_ULID"),
    ("/v1/loans/applications/{}", "lpa_ULID"),
    ("/v1/loans/policy/{}", "[0-9]{1,3}"),
    ("/v1/loyalty/accounts/{}", "cus_ULID"),
    ("/v1/loyalty/accounts/{}/reconciliation", "cus_ULID"),
    ("/v1/loyalty/entries/{}", "lpt_ULID"),
    ("/v1/loyalty/rules/{}", "[0-9]{1,3}"),
    ("/v1/recommendations/products/{}", "[A-Z][A-Z0-9_]{1,12}"),
    ("/v1/recommendations/{}", "cus_ULID"),
];

fn item() -> impl Strategy<Value = String> {
    proptest::sample::select(ITEMS).prop_flat_map(|(path, format)| {
        text_near(&format.replace("ULID", ULID))
            .prop_map(move |value| path.replace("{}", &encoded(&value)))
    })
}

/// The answer is not a 5xx, and a 4xx is problem+json.
fn answered(what: &str, response: &Response) -> Result<(), TestCaseError> {
    let status = response.status();
    prop_assert!(
        !status.is_server_error(),
        "{} {}: {}",
        what,
        status,
        String::from_utf8_lossy(response.body())
    );
    if status.is_client_error() {
        prop_assert_eq!(
            response.headers().get("content-type").map(|v| v.as_bytes()),
            Some(PROBLEM_JSON.as_bytes()),
            "{}",
            what
        );
    }
    Ok(())
}

/// One request at a time: the tests share one database, and a lock wait that ran out
/// would be a 503 that says nothing about the input.
fn send(
    service: &TestService<'static>,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Response {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    service.request(method, path, body, headers)
}

/// A fresh `Idempotency-Key`, so that every case runs its write.
fn fresh_key() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("case-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

proptest! {
    // Reads are cheap and their parameters many: four times the default cases, so that
    // a cut at one byte position of one parameter (the timestamp panic) is found
    // reliably, not one run in three.
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn no_query_string_panics_a_service(path in read()) {
        let app = app();
        let path = app.fill(&path);
        answered(&path, &send(app.service(&path), "GET", &path, None, &[]))?;
    }
}

proptest! {
    #[test]
    fn no_path_parameter_panics_a_service(path in item()) {
        let app = app();
        answered(&path, &send(app.service(&path), "GET", &path, None, &[]))?;
    }

    #[test]
    fn no_json_body_panics_a_service(
        write in proptest::sample::select(writes()),
        changes in proptest::collection::vec(change(), 0..3),
    ) {
        let app = app();
        let (method, path, valid) = write;
        let path = app.fill(path);
        let valid: Value = serde_json::from_str(&app.fill(&valid.to_string()))
            .expect("a filled body is JSON");
        let body = changes.iter().fold(valid, apply);
        let content_type = if method == "PATCH" {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        let key = fresh_key();
        let headers = [
            ("content-type", content_type),
            ("idempotency-key", key.as_str()),
            ("if-match", "*"),
        ];
        let response = send(app.service(&path), method, &path, Some(&body.to_string()), &headers);
        answered(&format!("{method} {path} {body}"), &response)?;
    }

    #[test]
    fn no_rules_or_policy_document_panics_a_service(
        loans in any::<bool>(),
        changes in proptest::collection::vec(change(), 1..4),
    ) {
        let app = app();
        let path = if loans { "/v1/loans/policy" } else { "/v1/loyalty/rules" };
        let service = app.service(path);
        let mut current = json(&send(service, "GET", path, None, &[]));
        if let Value::Object(map) = &mut current {
            map.remove("version");
            map.remove("createdAt");
            map.remove("actor");
        }
        let body = changes.iter().fold(current, apply);
        let headers = [("content-type", "application/json"), ("if-match", "*")];
        let response = send(service, "PUT", path, Some(&body.to_string()), &headers);
        answered(&format!("PUT {path} {body}"), &response)?;
    }
}

#[test]
fn the_valid_bodies_pass_validation() {
    // The strategies start from these: they must get past the handlers' checks (a
    // conflict with the current state is fine), or the tests only ever exercise the
    // first check a handler makes.
    let app = app();
    let mut refused = Map::new();
    for (method, path, body) in writes() {
        let path = app.fill(path);
        let body = app.fill(&body.to_string());
        let content_type = if method == "PATCH" {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        let key = fresh_key();
        let headers = [
            ("content-type", content_type),
            ("idempotency-key", key.as_str()),
            ("if-match", "*"),
        ];
        let response = send(app.service(&path), method, &path, Some(&body), &headers);
        if matches!(response.status().as_u16(), 400 | 415 | 422 | 500..) {
            refused.insert(format!("{method} {path}"), json(&response));
        }
    }
    assert!(refused.is_empty(), "{}", Value::Object(refused));
}
