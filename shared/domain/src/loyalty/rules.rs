//! The loyalty rules: earning rates per event type, tiers with thresholds and earning
//! multipliers, the expiry period and the downgrade policy. Rules are versioned by the
//! service; each entry records the version it was computed under.

use super::calendar::add_months;
use super::{EventType, Invalid, MAX_POINTS, Points};
use crate::closed_enum;
use crate::money::{Currency, Money};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The largest amount an earning event may carry (100 billion in major units); above
/// it the amount is a typo, not a transaction.
pub const MAX_AMOUNT_MINOR: i64 = 10_000_000_000_000;
/// A multiplier of exactly 1, in basis points.
const ONE_X_BP: i64 = 10_000;
const MAX_MULTIPLIER_BP: i64 = 100_000;
const MAX_TIERS: usize = 10;
const MAX_TIER_NAME: usize = 32;
const MAX_THRESHOLD: i64 = 1_000_000_000;
const MAX_EXPIRY_MONTHS: u32 = 120;
const MAX_RETAIN_MONTHS: u32 = 24;

closed_enum!(
    /// How an event type's base points are computed.
    Basis {
        /// `points` for every full `per` of the event's amount.
        Amount = "amount",
        /// A fixed number of points per event.
        Fixed = "fixed",
        /// The caller says how many points, up to `maxPoints` (campaign bonuses).
        Given = "given",
    }
);

closed_enum!(
    /// What happens to a tier when the rolling points drop below its threshold.
    DowngradePolicy {
        /// The tier always follows the last 12 months' qualifying points.
        Immediate = "immediate",
        /// A tier reached at a month end is kept for `retainMonths` more months.
        Retain = "retain",
    }
);

/// One event type's earning rule, as stored and as sent over the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EarnRule {
    /// How the base points are computed.
    pub basis: Basis,
    /// For `amount`: the amount that earns `points` (e.g. 10.00 CNY).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<Money>,
    /// For `amount`: points per `per`; for `fixed`: points per event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<i64>,
    /// For `given`: the most points one event may credit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_points: Option<i64>,
    /// Whether the base points count towards the customer's tier.
    pub tier_qualifying: bool,
    /// Whether the customer's tier multiplier applies.
    pub tier_multiplier: bool,
}

/// One rule per event type; every event type must have one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarningRules {
    /// `card_spend`.
    pub card_spend: EarnRule,
    /// `salary_deposit`.
    pub salary_deposit: EarnRule,
    /// `product_purchase`.
    pub product_purchase: EarnRule,
    /// `referral`.
    pub referral: EarnRule,
    /// `campaign`.
    pub campaign: EarnRule,
}

impl EarningRules {
    /// The rule for `event`.
    pub fn get(&self, event: EventType) -> &EarnRule {
        match event {
            EventType::CardSpend => &self.card_spend,
            EventType::SalaryDeposit => &self.salary_deposit,
            EventType::ProductPurchase => &self.product_purchase,
            EventType::Referral => &self.referral,
            EventType::Campaign => &self.campaign,
        }
    }
}

/// A tier: its name, the qualifying points that reach it, its earning multiplier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TierRule {
    /// Lower-case name (`gold`).
    pub name: String,
    /// Tier-qualifying points of the last 12 months needed; the first tier's is 0.
    pub threshold: i64,
    /// Earning multiplier in basis points (12 500 = ×1.25).
    pub multiplier_bp: i64,
}

/// The downgrade policy and its parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Downgrade {
    /// `immediate` or `retain`.
    pub policy: DowngradePolicy,
    /// For `retain`: how many months after a month end a tier reached then is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain_months: Option<u32>,
}

impl Downgrade {
    /// Months a reached tier is kept (0 under `immediate`).
    pub fn months_kept(&self) -> i64 {
        match self.policy {
            DowngradePolicy::Immediate => 0,
            DowngradePolicy::Retain => i64::from(self.retain_months.unwrap_or(0)),
        }
    }
}

/// The rules as stored and sent: validate with [`Rules::from_document`] before use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RulesDocument {
    /// Earning rule per event type.
    pub earning: EarningRules,
    /// Tiers from lowest to highest.
    pub tiers: Vec<TierRule>,
    /// Months after which earned points expire.
    pub expiry_months: u32,
    /// The downgrade policy.
    pub downgrade: Downgrade,
}

/// A validated rule set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    doc: RulesDocument,
}

/// What an earning event brings to the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EarnRequest {
    /// The business event.
    pub event_type: EventType,
    /// The money the event moved, when it has one.
    pub amount: Option<Money>,
    /// Points the caller asks for (only for `given` rules).
    pub points: Option<i64>,
}

/// The points an event earns and how they were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Earned {
    /// Points before the tier multiplier.
    pub base_points: i64,
    /// The multiplier applied, in basis points (10 000 when none applies).
    pub multiplier_bp: i64,
    /// Points credited: `base_points × multiplier_bp / 10 000`, rounded down.
    pub points: i64,
    /// Points that count towards the tier (the base points, when the rule qualifies).
    pub tier_points: i64,
}

fn rule(basis: Basis, per: Option<Money>, points: Option<i64>, max: Option<i64>) -> EarnRule {
    EarnRule {
        basis,
        per,
        points,
        max_points: max,
        tier_qualifying: matches!(basis, Basis::Amount | Basis::Fixed),
        tier_multiplier: matches!(basis, Basis::Amount | Basis::Fixed),
    }
}

fn tier(name: &str, threshold: i64, multiplier_bp: i64) -> TierRule {
    TierRule {
        name: name.into(),
        threshold,
        multiplier_bp,
    }
}

struct Errors(Vec<Invalid>);

impl Errors {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(Invalid::new(field, message));
    }

    fn range(&mut self, field: String, value: i64, min: i64, max: i64) {
        if !(min..=max).contains(&value) {
            self.add(field, format!("must be between {min} and {max}"));
        }
    }

    fn finish<T>(self, value: T) -> Result<T, Vec<Invalid>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }
}

fn check_earn_rule(e: &mut Errors, event: EventType, r: &EarnRule) {
    let at = |field: &str| format!("earning.{event}.{field}");
    let must_be_absent = |e: &mut Errors, present: bool, field: &str| {
        if present {
            e.add(at(field), format!("is not used by basis {}", r.basis));
        }
    };
    match r.basis {
        Basis::Amount => {
            match r.per {
                None => e.add(at("per"), "is required for basis amount"),
                Some(per) => e.range(at("per.amount"), per.minor_units, 1, MAX_AMOUNT_MINOR),
            }
            match r.points {
                None => e.add(at("points"), "is required for basis amount"),
                Some(p) => e.range(at("points"), p, 1, MAX_POINTS),
            }
            must_be_absent(e, r.max_points.is_some(), "maxPoints");
        }
        Basis::Fixed => {
            match r.points {
                None => e.add(at("points"), "is required for basis fixed"),
                Some(p) => e.range(at("points"), p, 1, MAX_POINTS),
            }
            must_be_absent(e, r.per.is_some(), "per");
            must_be_absent(e, r.max_points.is_some(), "maxPoints");
        }
        Basis::Given => {
            match r.max_points {
                None => e.add(at("maxPoints"), "is required for basis given"),
                Some(p) => e.range(at("maxPoints"), p, 1, MAX_POINTS),
            }
            must_be_absent(e, r.per.is_some(), "per");
            must_be_absent(e, r.points.is_some(), "points");
        }
    }
}

fn check_tiers(e: &mut Errors, tiers: &[TierRule]) {
    if tiers.is_empty() || tiers.len() > MAX_TIERS {
        e.add("tiers", format!("must list 1 to {MAX_TIERS} tiers"));
        return;
    }
    if tiers[0].threshold != 0 {
        e.add(
            "tiers[0].threshold",
            "must be 0: the first tier is every customer's starting tier",
        );
    }
    for (i, t) in tiers.iter().enumerate() {
        let valid_name = (1..=MAX_TIER_NAME).contains(&t.name.len())
            && t.name.starts_with(|c: char| c.is_ascii_lowercase())
            && t.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid_name {
            e.add(
                format!("tiers[{i}].name"),
                format!("must be 1 to {MAX_TIER_NAME} lower-case letters, digits or _"),
            );
        } else if tiers[..i].iter().any(|o| o.name == t.name) {
            e.add(format!("tiers[{i}].name"), "repeats an earlier tier's name");
        }
        e.range(
            format!("tiers[{i}].threshold"),
            t.threshold,
            0,
            MAX_THRESHOLD,
        );
        if i > 0 && t.threshold <= tiers[i - 1].threshold {
            e.add(
                format!("tiers[{i}].threshold"),
                "must be greater than the previous tier's",
            );
        }
        e.range(
            format!("tiers[{i}].multiplierBp"),
            t.multiplier_bp,
            1,
            MAX_MULTIPLIER_BP,
        );
    }
}

impl Rules {
    /// Validates a document, reporting every problem at once.
    pub fn from_document(doc: RulesDocument) -> Result<Rules, Vec<Invalid>> {
        let mut e = Errors(Vec::new());
        for &event in EventType::ALL {
            check_earn_rule(&mut e, event, doc.earning.get(event));
        }
        check_tiers(&mut e, &doc.tiers);
        if !(1..=MAX_EXPIRY_MONTHS).contains(&doc.expiry_months) {
            e.add(
                "expiryMonths",
                format!("must be between 1 and {MAX_EXPIRY_MONTHS}"),
            );
        }
        match (doc.downgrade.policy, doc.downgrade.retain_months) {
            (DowngradePolicy::Immediate, Some(_)) => {
                e.add("downgrade.retainMonths", "is only used with policy retain")
            }
            (DowngradePolicy::Retain, None) => {
                e.add("downgrade.retainMonths", "is required with policy retain")
            }
            (DowngradePolicy::Retain, Some(m)) if !(1..=MAX_RETAIN_MONTHS).contains(&m) => e.add(
                "downgrade.retainMonths",
                format!("must be between 1 and {MAX_RETAIN_MONTHS}"),
            ),
            _ => {}
        }
        e.finish(Rules { doc })
    }

    /// The documented defaults, the service's rule version 1 (`docs/loyalty.md`).
    pub fn default_rules() -> Rules {
        let ten_yuan = Money::new(1_000, Currency::Cny);
        Rules {
            doc: RulesDocument {
                earning: EarningRules {
                    card_spend: rule(Basis::Amount, Some(ten_yuan), Some(1), None),
                    salary_deposit: rule(Basis::Fixed, None, Some(200), None),
                    product_purchase: rule(Basis::Fixed, None, Some(500), None),
                    referral: EarnRule {
                        tier_qualifying: false,
                        tier_multiplier: false,
                        ..rule(Basis::Fixed, None, Some(1_000), None)
                    },
                    campaign: rule(Basis::Given, None, None, Some(50_000)),
                },
                tiers: vec![
                    tier("silver", 0, ONE_X_BP),
                    tier("gold", 5_000, 12_500),
                    tier("platinum", 20_000, 15_000),
                ],
                expiry_months: 24,
                downgrade: Downgrade {
                    policy: DowngradePolicy::Retain,
                    retain_months: Some(12),
                },
            },
        }
    }

    /// The document form, to store or send.
    pub fn document(&self) -> &RulesDocument {
        &self.doc
    }

    /// The tiers, lowest first; never empty, the first has threshold 0.
    pub fn tiers(&self) -> &[TierRule] {
        &self.doc.tiers
    }

    /// Months a reached tier is kept (0 under `immediate`).
    pub fn retain_months(&self) -> i64 {
        self.doc.downgrade.months_kept()
    }

    /// The instant points earned at `earned_at` expire: `expiryMonths` calendar months
    /// later, to the millisecond. They are spendable strictly before it.
    pub fn expires_at(&self, earned_at: Timestamp) -> Timestamp {
        add_months(earned_at, i64::from(self.doc.expiry_months))
    }

    /// The points `request` earns for a customer whose tier multiplier is
    /// `tier_multiplier_bp`, or every reason the request does not fit the rule: the
    /// amount's bounds, the base points of the rule's basis, then the multiplier and
    /// the one-entry cap.
    pub fn earn(
        &self,
        request: &EarnRequest,
        tier_multiplier_bp: i64,
    ) -> Result<Earned, Vec<Invalid>> {
        let r = self.doc.earning.get(request.event_type);
        let mut e = Errors(Vec::new());
        amount_within_bounds(&mut e, request.amount);
        let base = match r.basis {
            Basis::Amount => base_from_amount(&mut e, r, request),
            Basis::Fixed => base_fixed(&mut e, r, request),
            Basis::Given => base_given(&mut e, r, request),
        };
        let multiplier_bp = if r.tier_multiplier {
            tier_multiplier_bp
        } else {
            ONE_X_BP
        };
        let points = base * i128::from(multiplier_bp) / i128::from(ONE_X_BP);
        if points > i128::from(MAX_POINTS) {
            let field = if r.basis == Basis::Amount {
                "amount"
            } else {
                "points"
            };
            e.add(
                field,
                format!("earns {points} points, more than the {MAX_POINTS} one entry may credit"),
            );
        }
        // Both are at most MAX_POINTS here, so the casts cannot truncate.
        let base_points = base.clamp(0, i128::from(MAX_POINTS)) as i64;
        e.finish(Earned {
            base_points,
            multiplier_bp,
            points: points.clamp(0, i128::from(MAX_POINTS)) as i64,
            tier_points: if r.tier_qualifying { base_points } else { 0 },
        })
    }
}

/// An amount, when sent, is positive and at most [`MAX_AMOUNT_MINOR`].
fn amount_within_bounds(e: &mut Errors, amount: Option<Money>) {
    if let Some(amount) = amount {
        if amount.minor_units <= 0 {
            e.add("amount.amount", "must be positive");
        } else if amount.minor_units > MAX_AMOUNT_MINOR {
            e.add(
                "amount.amount",
                format!("must be at most {MAX_AMOUNT_MINOR}"),
            );
        }
    }
}

/// `amount`: the rule's points per whole `per` of an amount in the rule's currency;
/// points may not be sent.
fn base_from_amount(e: &mut Errors, r: &EarnRule, request: &EarnRequest) -> i128 {
    let event = request.event_type;
    if request.points.is_some() {
        e.add(
            "points",
            format!("must not be sent for {event}: points are computed from the amount"),
        );
    }
    let per = r.per.unwrap_or(Money::new(1, Currency::Cny));
    match request.amount {
        None => {
            e.add("amount", format!("is required for {event}"));
            0
        }
        Some(amount) if amount.currency != per.currency => {
            e.add(
                "amount.currency",
                format!("must be {} for {event}", per.currency),
            );
            0
        }
        Some(amount) => {
            i128::from(amount.minor_units.max(0) / per.minor_units.max(1))
                * i128::from(r.points.unwrap_or(0))
        }
    }
}

/// `fixed`: the rule's points; points may not be sent.
fn base_fixed(e: &mut Errors, r: &EarnRule, request: &EarnRequest) -> i128 {
    if request.points.is_some() {
        e.add(
            "points",
            format!(
                "must not be sent for {}: it earns a fixed {} points",
                request.event_type,
                r.points.unwrap_or(0)
            ),
        );
    }
    i128::from(r.points.unwrap_or(0))
}

/// `given`: the points sent, required, positive and at most the rule's maximum.
fn base_given(e: &mut Errors, r: &EarnRule, request: &EarnRequest) -> i128 {
    let event = request.event_type;
    let Some(p) = request.points else {
        e.add("points", format!("is required for {event}"));
        return 0;
    };
    match Points::new(p) {
        Err(message) => {
            e.add("points", message);
            0
        }
        Ok(p) if p.get() > r.max_points.unwrap_or(MAX_POINTS) => {
            e.add(
                "points",
                format!(
                    "must be at most {} for {event}",
                    r.max_points.unwrap_or(MAX_POINTS)
                ),
            );
            0
        }
        Ok(p) => i128::from(p.get()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(minor: i64) -> Option<Money> {
        Some(Money::new(minor, Currency::Cny))
    }

    fn earn(event: EventType, amount: Option<Money>, points: Option<i64>, bp: i64) -> Earned {
        Rules::default_rules()
            .earn(
                &EarnRequest {
                    event_type: event,
                    amount,
                    points,
                },
                bp,
            )
            .expect("earns")
    }

    fn refused(event: EventType, amount: Option<Money>, points: Option<i64>) -> Vec<String> {
        Rules::default_rules()
            .earn(
                &EarnRequest {
                    event_type: event,
                    amount,
                    points,
                },
                ONE_X_BP,
            )
            .expect_err("refused")
            .into_iter()
            .map(|i| i.field)
            .collect()
    }

    #[test]
    fn card_spend_earns_one_point_per_full_ten_yuan() {
        let e = earn(EventType::CardSpend, cny(123_456), None, ONE_X_BP);
        assert_eq!((e.base_points, e.points, e.tier_points), (123, 123, 123));
        assert_eq!(
            earn(EventType::CardSpend, cny(999), None, ONE_X_BP).points,
            0
        );
        assert_eq!(
            earn(EventType::CardSpend, cny(1_000), None, ONE_X_BP).points,
            1
        );
    }

    #[test]
    fn the_tier_multiplier_applies_to_spend_and_rounds_down_but_not_to_tier_points() {
        let e = earn(EventType::CardSpend, cny(123_456), None, 12_500);
        assert_eq!(e.points, 153, "123 × 1.25 = 153.75, rounded down");
        assert_eq!(e.tier_points, 123, "tiers count base points, not bonuses");
        assert_eq!(e.multiplier_bp, 12_500);
    }

    #[test]
    fn a_salary_deposit_earns_a_fixed_bonus_whatever_the_amount() {
        let e = earn(EventType::SalaryDeposit, cny(2_000_000), None, ONE_X_BP);
        assert_eq!(e.points, 200);
        let without_amount = earn(EventType::SalaryDeposit, None, None, 15_000);
        assert_eq!(without_amount.points, 300);
    }

    #[test]
    fn referrals_earn_without_multiplier_and_do_not_count_towards_tiers() {
        let e = earn(EventType::Referral, None, None, 15_000);
        assert_eq!(
            (e.points, e.multiplier_bp, e.tier_points),
            (1_000, ONE_X_BP, 0)
        );
    }

    #[test]
    fn a_campaign_credits_the_points_the_caller_gives_up_to_its_cap() {
        assert_eq!(
            earn(EventType::Campaign, None, Some(750), 15_000).points,
            750
        );
        assert_eq!(refused(EventType::Campaign, None, Some(50_001)), ["points"]);
        assert_eq!(refused(EventType::Campaign, None, None), ["points"]);
        assert_eq!(refused(EventType::Campaign, None, Some(0)), ["points"]);
    }

    #[test]
    fn a_request_that_does_not_fit_its_rule_reports_every_field() {
        assert_eq!(
            refused(EventType::CardSpend, None, Some(5)),
            ["points", "amount"]
        );
        assert_eq!(
            refused(
                EventType::CardSpend,
                Some(Money::new(1_000, Currency::Usd)),
                None
            ),
            ["amount.currency"]
        );
        assert_eq!(
            refused(EventType::SalaryDeposit, cny(-1), Some(10)),
            ["amount.amount", "points"]
        );
    }

    #[test]
    fn an_event_earning_more_than_ten_million_points_is_refused() {
        assert_eq!(
            refused(EventType::CardSpend, cny(100_000_001_000), None),
            ["amount"]
        );
    }

    #[test]
    fn the_defaults_are_valid_and_round_trip_as_json() {
        let rules = Rules::default_rules();
        let json = serde_json::to_string(rules.document()).expect("serializes");
        let back: RulesDocument = serde_json::from_str(&json).expect("parses");
        assert_eq!(Rules::from_document(back), Ok(rules));
    }

    #[test]
    fn invalid_rules_report_every_problem_with_its_path() {
        let mut doc = Rules::default_rules().document().clone();
        doc.earning.card_spend.per = None;
        doc.earning.referral.max_points = Some(5);
        doc.tiers[0].threshold = 10;
        doc.tiers[2].threshold = 1;
        doc.tiers[1].name = "Gold".into();
        doc.expiry_months = 0;
        doc.downgrade.retain_months = None;
        let fields: Vec<String> = Rules::from_document(doc)
            .expect_err("invalid")
            .into_iter()
            .map(|i| i.field)
            .collect();
        assert_eq!(
            fields,
            [
                "earning.card_spend.per",
                "earning.referral.maxPoints",
                "tiers[0].threshold",
                "tiers[1].name",
                "tiers[2].threshold",
                "expiryMonths",
                "downgrade.retainMonths",
            ]
        );
    }

    #[test]
    fn tier_names_must_be_unique() {
        let mut doc = Rules::default_rules().document().clone();
        doc.tiers[2].name = "gold".into();
        let errors = Rules::from_document(doc).expect_err("duplicate");
        assert_eq!(errors[0].field, "tiers[2].name");
    }

    #[test]
    fn points_expire_the_configured_number_of_months_later_to_the_millisecond() {
        let rules = Rules::default_rules();
        let earned = Timestamp::parse("2026-01-15T10:00:00.500Z").expect("valid");
        assert_eq!(
            rules.expires_at(earned),
            Timestamp::parse("2028-01-15T10:00:00.500Z").expect("valid")
        );
    }
}
