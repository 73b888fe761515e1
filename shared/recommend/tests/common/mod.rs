//! Shared set-up: the real migrations on rusqlite, and rows written exactly as the
//! owning services store them (customers, interactions, complaints, loyalty accounts,
//! loan applications, feedback), so the engine is tested through its read models.
#![allow(dead_code)]

use crm_domain::id::CustomerId;
use crm_domain::recommendation::Ranked;
use crm_domain::time::Timestamp;
use crm_recommend::Recommendations;
use crm_store::native::{fresh_state_dir, stores_in};
use crm_store::{Database, Stores, Value};
use serde_json::{Value as Json, json};

/// The clock every test ranks at.
pub fn now() -> Timestamp {
    ts("2026-11-25T10:00:00Z")
}

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

pub fn days_ago(days: i64) -> Timestamp {
    now().plus_millis(-days * 86_400_000)
}

/// A customer as the profile service stores one: the filterable columns and the document.
#[derive(Debug, Clone)]
pub struct Persona {
    pub date_of_birth: &'static str,
    pub segment: &'static str,
    pub value_tier: &'static str,
    pub risk_tolerance: &'static str,
    pub employment: &'static str,
    pub monthly_income_cny: i64,
    pub credit_score: Option<i64>,
    pub holdings: Vec<&'static str>,
    pub consent: Vec<&'static str>,
    pub status: &'static str,
}

impl Persona {
    /// A 35-year-old retail customer, balanced, 8,000 CNY a month, nothing held.
    pub fn plain() -> Persona {
        Persona {
            date_of_birth: "1991-05-10",
            segment: "retail",
            value_tier: "standard",
            risk_tolerance: "balanced",
            employment: "employed",
            monthly_income_cny: 8_000,
            credit_score: Some(700),
            holdings: Vec::new(),
            consent: Vec::new(),
            status: "active",
        }
    }

    fn document(&self, id: &str) -> Json {
        let holdings: Vec<Json> = self
            .holdings
            .iter()
            .map(|code| json!({"productCode": code, "openedAt": "2024-01-01T00:00:00Z"}))
            .collect();
        let mut marketing = serde_json::Map::new();
        for channel in ["email", "sms", "push", "phone"] {
            marketing.insert(
                channel.into(),
                json!({"granted": self.consent.contains(&channel), "source": "branch",
                       "updatedAt": "2024-01-01T00:00:00Z"}),
            );
        }
        let mut doc = json!({
            "id": id,
            "dateOfBirth": self.date_of_birth,
            "segment": self.segment,
            "riskTolerance": self.risk_tolerance,
            "monthlyIncome": {"amount": self.monthly_income_cny * 100, "currency": "CNY"},
            "employmentStatus": self.employment,
            "holdings": holdings,
            "consent": {"marketing": marketing},
        });
        if let Some(score) = self.credit_score {
            doc["creditScore"] = json!(score);
        }
        doc
    }
}

pub struct Bank {
    pub stores: Stores,
    seq: std::cell::Cell<u64>,
}

impl Bank {
    pub fn new(name: &str) -> Bank {
        Bank {
            stores: stores_in(&fresh_state_dir(name)),
            seq: std::cell::Cell::new(1),
        }
    }

    pub fn db(&self) -> &dyn Database {
        self.stores
            .database()
            .unwrap_or_else(|e| panic!("database: {e}"))
    }

    fn next(&self) -> u64 {
        let n = self.seq.get();
        self.seq.set(n + 1);
        n
    }

    fn exec(&self, sql: &str, params: &[Value]) {
        if let Err(e) = self.db().execute(sql, params) {
            panic!("{sql}: {e}");
        }
    }

    pub fn customer(&self, p: &Persona) -> CustomerId {
        let id = CustomerId::new(crm_http::new_ulid(Timestamp::from_unix_millis(
            self.next() as i64
        )));
        let text = id.to_string();
        self.exec(
            "INSERT INTO customers (id, status, segment, value_tier, kyc_status, risk_tolerance,
                date_of_birth, document, version, created_at, updated_at)
             VALUES (?, ?, ?, ?, 'verified', ?, ?, ?, 1, 0, 0)",
            &[
                Value::from(text.as_str()),
                Value::from(p.status),
                Value::from(p.segment),
                Value::from(p.value_tier),
                Value::from(p.risk_tolerance),
                Value::from(p.date_of_birth),
                Value::from(p.document(&text).to_string()),
            ],
        );
        id
    }

    fn interaction(&self, c: &CustomerId, kind: &str, subject: &str, at: Timestamp) -> String {
        let id = format!("int_{:026}", self.next());
        self.exec(
            "INSERT INTO interactions (id, customer_id, channel, direction, type, subject,
                agent_id, occurred_at, recorded_at, confidential)
             VALUES (?, ?, 'phone', 'inbound', ?, ?, 'agent-1', ?, ?, 0)",
            &[
                Value::from(id.as_str()),
                Value::from(c.to_string()),
                Value::from(kind),
                Value::from(subject),
                Value::Integer(at.unix_millis()),
                Value::Integer(at.unix_millis()),
            ],
        );
        id
    }

    pub fn inquiry(&self, c: &CustomerId, subject: &str, at: Timestamp) {
        self.interaction(c, "inquiry", subject, at);
    }

    pub fn open_complaint(&self, c: &CustomerId) {
        let interaction = self.interaction(c, "complaint", "fees charged twice", days_ago(2));
        self.exec(
            "INSERT INTO complaints (id, interaction_id, customer_id, severity, category,
                regulatory, status, opened_at, due_at, version, updated_at)
             VALUES (?, ?, ?, 'medium', 'fees_and_charges', 0, 'open', ?, ?, 1, ?)",
            &[
                Value::from(format!("cmp_{:026}", self.next())),
                Value::from(interaction),
                Value::from(c.to_string()),
                Value::Integer(days_ago(2).unix_millis()),
                Value::Integer(now().plus_millis(86_400_000).unix_millis()),
                Value::Integer(days_ago(2).unix_millis()),
            ],
        );
    }

    pub fn loyalty_tier(&self, c: &CustomerId, tier: &str) {
        self.exec(
            "INSERT INTO loyalty_accounts (customer_id, balance, lifetime_earned, entry_count,
                last_seq, tier, tier_evaluated_at, created_at, updated_at)
             VALUES (?, 6000, 6000, 1, 1, ?, ?, ?, ?)",
            &[
                Value::from(c.to_string()),
                Value::from(tier),
                Value::Integer(days_ago(1).unix_millis()),
                Value::Integer(days_ago(100).unix_millis()),
                Value::Integer(days_ago(1).unix_millis()),
            ],
        );
    }

    /// A loan application as the loan service stores one, with `status` and the monthly
    /// debt the applicant declared; an accepted one carries an offer with `payment_cny`.
    pub fn loan(
        &self,
        c: &CustomerId,
        product: &str,
        status: &str,
        declared_debt_cny: i64,
        payment_cny: i64,
        at: Timestamp,
    ) {
        let snapshot = json!({"input": {"monthlyDebtPayments":
            {"amount": declared_debt_cny * 100, "currency": "CNY"}}});
        let with_offer = ["pre_approved", "approved", "accepted"].contains(&status);
        let offer = with_offer.then(|| {
            json!({"monthlyPayment": {"amount": payment_cny * 100, "currency": "CNY"}}).to_string()
        });
        let expires = with_offer.then(|| now().plus_millis(30 * 86_400_000).unix_millis());
        let decision = if status == "declined" {
            "declined"
        } else {
            "pre_approved"
        };
        self.exec(
            "INSERT INTO loan_applications (id, customer_id, product, status, decision_status,
                policy_version, amount_minor, currency, term_months, snapshot, decision, offer,
                expires_at, version, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 1, 100000000, 'CNY', 240, ?, '{}', ?, ?, 1, ?, ?)",
            &[
                Value::from(format!("lpa_{:026}", self.next())),
                Value::from(c.to_string()),
                Value::from(product),
                Value::from(status),
                Value::from(decision),
                Value::from(snapshot.to_string()),
                Value::from(offer),
                Value::from(expires),
                Value::Integer(at.unix_millis()),
                Value::Integer(at.unix_millis()),
            ],
        );
    }

    pub fn feedback(&self, c: &CustomerId, product: &str, action: &str, at: Timestamp) {
        self.exec(
            "INSERT INTO recommendation_feedback (id, customer_id, product_code, action, channel,
                occurred_at, recorded_at)
             VALUES (?, ?, ?, ?, 'mobile_app', ?, ?)",
            &[
                Value::from(format!("rfb_{:026}", self.next())),
                Value::from(c.to_string()),
                Value::from(product),
                Value::from(action),
                Value::Integer(at.unix_millis()),
                Value::Integer(at.unix_millis()),
            ],
        );
    }

    pub fn recommend(&self, c: &CustomerId, limit: usize) -> Recommendations {
        crm_recommend::recommend(self.db(), c, now(), None, limit)
            .unwrap_or_else(|e| panic!("recommend: {e}"))
    }

    pub fn top(&self, c: &CustomerId, limit: usize) -> Vec<String> {
        codes(&self.recommend(c, limit).items)
    }

    /// Every admitted product, best first (the catalogue has fewer than 50).
    pub fn all(&self, c: &CustomerId) -> Vec<Ranked> {
        self.recommend(c, 50).items
    }
}

pub fn codes(items: &[Ranked]) -> Vec<String> {
    items.iter().map(|r| r.product_code.clone()).collect()
}

pub fn position(items: &[Ranked], code: &str) -> usize {
    items
        .iter()
        .position(|r| r.product_code == code)
        .unwrap_or_else(|| panic!("{code} is not ranked: {:?}", codes(items)))
}
