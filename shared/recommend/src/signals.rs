//! Gathering: one read model call per signal, each owned by the service that stores it.

use crm_domain::customer::{CustomerStatus, RiskTolerance, Segment, ValueTier};
use crm_domain::loan::{ApplicationStatus, LoanProduct, Policy};
use crm_domain::money::{Currency, Money};
use crm_domain::recommendation::{
    CustomerView, DAY_MS, FEEDBACK_WINDOW_DAYS, FeedbackAction, FeedbackEvent, INQUIRY_WINDOW_DAYS,
    Inquiry, LoanSignal, MarketingConsent, Signals,
};
use crm_domain::time::{Date, Timestamp};
use crm_store::read::{customers, interactions, loans, loyalty, recommendations};
use crm_store::{Database, StoreError};

/// Most inquiries read per ranking: the newest ones in the window decide.
pub const INQUIRY_LIMIT: i64 = 200;
/// Most feedback rows read per ranking.
const FEEDBACK_LIMIT: i64 = 1_000;

fn decode<T>(text: &str, what: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(text).ok_or_else(|| StoreError::Decode(format!("{what} `{text}`")))
}

/// The stored status and the profile facts of `customer_id` at `now`, or `None` when the
/// customer is unknown or erased.
pub fn customer_view(
    db: &dyn Database,
    customer_id: &str,
    now: Timestamp,
) -> Result<Option<(CustomerStatus, CustomerView)>, StoreError> {
    let Some(snapshot) = customers::customer_snapshot(db, customer_id)? else {
        return Ok(None);
    };
    let status = decode(&snapshot.status, "customer status", CustomerStatus::parse)?;
    if status == CustomerStatus::Erased {
        return Ok(None);
    }
    let facts = customers::offer_facts(db, customer_id)?.unwrap_or_default();
    let age = snapshot
        .date_of_birth
        .as_deref()
        .and_then(|d| Date::parse(d).ok())
        .map(|dob| i64::from(dob.years_until(now.date())));
    let monthly_income = match (facts.monthly_income_minor, facts.income_currency.as_deref()) {
        (Some(minor), Some(code)) => Currency::parse(code).map(|c| Money::new(minor, c)),
        _ => None,
    };
    let granted = |channel: &str| facts.marketing_consent.iter().any(|c| c == channel);
    let view = CustomerView {
        segment: decode(&snapshot.segment, "segment", Segment::parse)?,
        value_tier: decode(&snapshot.value_tier, "value tier", ValueTier::parse)?,
        risk_tolerance: decode(
            &snapshot.risk_tolerance,
            "risk tolerance",
            RiskTolerance::parse,
        )?,
        age,
        monthly_income,
        credit_score: facts.credit_score,
        holdings: facts.holdings,
        consent: MarketingConsent {
            email: granted("email"),
            sms: granted("sms"),
            push: granted("push"),
            phone: granted("phone"),
        },
    };
    Ok(Some((status, view)))
}

/// Everything other services (and earlier feedback) say about `customer_id` at `now`.
pub fn signals(
    db: &dyn Database,
    customer_id: &str,
    now: Timestamp,
) -> Result<Signals, StoreError> {
    let now_ms = now.unix_millis();
    let open_complaint = interactions::has_open_complaint(db, customer_id)?;
    let loyalty_tier = loyalty::loyalty_standing(db, customer_id, now_ms)?.map(|s| s.tier);
    let inquiries = interactions::recent_inquiries(
        db,
        customer_id,
        now_ms - INQUIRY_WINDOW_DAYS * DAY_MS,
        INQUIRY_LIMIT,
    )?
    .into_iter()
    .map(|i| Inquiry {
        subject: i.subject,
        at: Timestamp::from_unix_millis(i.occurred_at),
    })
    .collect();
    // A product or status this build does not know is skipped, not fatal: the loan
    // service may grow before this one does.
    let loans = loans::loan_applications_of(db, customer_id, now_ms, loans::MAX_SIGNALS)?
        .into_iter()
        .filter_map(|a| {
            Some(LoanSignal {
                product: LoanProduct::parse(&a.product)?,
                status: ApplicationStatus::parse(&a.status)?,
                updated_at: Timestamp::from_unix_millis(a.updated_at),
            })
        })
        .collect();
    let monthly_debt = loans::monthly_debt(db, customer_id)?.and_then(|d| {
        Currency::parse(&d.currency)
            .map(|c| Money::new(d.declared_minor.saturating_add(d.accepted_since_minor), c))
    });
    let feedback = recommendations::feedback_of(
        db,
        customer_id,
        now_ms - FEEDBACK_WINDOW_DAYS * DAY_MS,
        FEEDBACK_LIMIT,
    )?
    .into_iter()
    .filter_map(|f| {
        Some(FeedbackEvent {
            action: FeedbackAction::parse(&f.action)?,
            product_code: f.product_code,
            at: Timestamp::from_unix_millis(f.occurred_at),
        })
    })
    .collect();
    Ok(Signals {
        open_complaint,
        loyalty_tier,
        inquiries,
        loans,
        monthly_debt,
        feedback,
    })
}

/// The credit policy the loan service decides with now; its documented default
/// ([`Policy::default_policy`], also its version 1) when none is stored.
pub fn current_policy(db: &dyn Database) -> Result<Policy, StoreError> {
    match loans::current_policy_document(db)? {
        Some((version, document)) => serde_json::from_str(&document)
            .map_err(|e| StoreError::Decode(format!("loan policy {version}: {e}"))),
        None => Ok(Policy::default_policy()),
    }
}
