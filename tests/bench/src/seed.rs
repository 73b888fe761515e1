//! Bulk-loading realistic data through the storage port (the same repository code
//! the components run), so a benchmark can start from 100,000 customers and 1,000,000
//! interactions in seconds instead of a million HTTP requests.
//!
//! Every row is written by the owning service's own repository or ledger function
//! (`customer_profile::repo::insert`, `interactions::repo::interactions::insert`,
//! `loyalty::ledger::earn` / `redeem`, `recommendations::repo::insert_product`), so the
//! seeded rows, caches and derived tables
//! are exactly what the service would have written; only the idempotency records of
//! the HTTP layer are absent, which no read consults.

use anyhow::{Result, anyhow};
use crm_domain::customer::{
    ConsentChoices, Customer, CustomerDraft, EmploymentStatus, KycStatus, RiskTolerance, Segment,
    Tag, TagFamily,
};
use crm_domain::id::{CustomerId, Ulid};
use crm_domain::interaction::{
    Channel, Direction, InteractionId, InteractionType, NewInteraction, Sentiment,
};
use crm_domain::loyalty::{EventType, LoyaltyEntryId, Points};
use crm_domain::money::{Currency, Money};
use crm_domain::time::{Date, Timestamp};
use crm_store::native::NativeDatabase;
use crm_store::{Database, in_transaction, migrations};
use loyalty::ledger::{self, EarnCommand, RedeemCommand};
use std::path::Path;

const SURNAMES: &[&str] = &[
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu",
];
const GIVEN: &[&str] = &[
    "Wei", "Fang", "Na", "Min", "Jing", "Lei", "Qiang", "Yan", "Jun", "Xiu",
];

const MINUTE: i64 = 60_000;

/// The wall clock now, as the components read it.
pub fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    Timestamp::from_unix_millis(millis)
}

/// Opens (creating and migrating) `<state_dir>/sqlite_db.db` for bulk loading.
pub fn open(state_dir: &Path) -> Result<NativeDatabase> {
    let db = NativeDatabase::open(&state_dir.join("sqlite_db.db")).map_err(|e| anyhow!("{e}"))?;
    migrations::migrate(&db).map_err(|e| anyhow!("{e}"))?;
    // A loader-only connection setting (not stored in the file): a large page cache
    // keeps the randomly-ordered index inserts of a million rows off the disk.
    db.execute("PRAGMA cache_size = -262144", &[])
        .map_err(|e| anyhow!("{e}"))?;
    Ok(db)
}

/// The n-th synthetic customer: deterministic, so runs are comparable.
pub fn customer(n: u64, now: Timestamp) -> Result<Customer> {
    let name = format!(
        "{} {} {n}",
        SURNAMES[(n % 10) as usize],
        GIVEN[((n / 10) % 10) as usize]
    );
    let segment = [
        Segment::Retail,
        Segment::Retail,
        Segment::MassAffluent,
        Segment::Private,
        Segment::Sme,
    ][(n % 5) as usize];
    let draft = CustomerDraft {
        full_name: name,
        date_of_birth: Date::from_ymd(
            1950 + (n % 50) as i32,
            1 + (n % 12) as u8,
            1 + (n % 28) as u8,
        )
        .map_err(|e| anyhow!("{e}"))?,
        national_id: format!("{:018}", 110_000_000_000_000_000u64 + n),
        national_id_country: "CN".into(),
        email: Some(format!("customer{n}@example.com")),
        phone: Some(format!("+86138{n:08}")),
        address: None,
        kyc_status: KycStatus::Verified,
        segment,
        risk_tolerance: RiskTolerance::ALL[(n % 5) as usize],
        monthly_income: Money::new(((n % 50) as i64 + 5) * 100_000, Currency::Cny),
        total_assets: Money::new(((n % 1000) as i64) * 1_000_000, Currency::Cny),
        credit_score: Some(300 + (n % 550) as i64),
        employment_status: EmploymentStatus::Employed,
        holdings: Vec::new(),
        tags: vec![Tag {
            family: TagFamily::Marketing,
            name: format!("campaign_{}", n % 20),
        }],
        consent: ConsentChoices::default(),
        relationship_manager_id: Some(format!("rm_{}", n % 100)),
        status: None,
    };
    let id = CustomerId::new(Ulid::from_parts(now.unix_millis() as u64, u128::from(n)));
    Ok(Customer::create(id, draft, Vec::new(), now))
}

/// Loads `count` customers, created two years before `now` (so that the loyalty
/// history seeded below starts after them), in batches of 1,000 per transaction.
/// Returns their ids in creation order.
pub fn customers(db: &NativeDatabase, count: u64, now: Timestamp) -> Result<Vec<CustomerId>> {
    let created = now.plus_millis(-2 * 366 * 24 * 60 * MINUTE);
    let mut ids = Vec::with_capacity(count as usize);
    let mut n = 0;
    while n < count {
        let end = (n + 1000).min(count);
        in_transaction(db as &dyn Database, |db| {
            for i in n..end {
                let c = customer(i, created)?;
                customer_profile::repo::insert(db, &c)
                    .map_err(|e| anyhow!("seeding customer {i}: {e:?}"))?;
                ids.push(c.id);
            }
            anyhow::Ok(())
        })?;
        n = end;
    }
    Ok(ids)
}

/// The i-th synthetic contact of `customer`, at `occurred_at`.
fn contact(i: u64, customer: CustomerId, occurred_at: Timestamp) -> NewInteraction {
    // Complaints are left out: they open cases, which the complaint workloads would
    // seed on their own; every other type is represented.
    let kinds = [
        InteractionType::Inquiry,
        InteractionType::ServiceRequest,
        InteractionType::Sales,
        InteractionType::Feedback,
        InteractionType::Reminder,
    ];
    let kind = kinds[(i % kinds.len() as u64) as usize];
    NewInteraction {
        customer_id: customer,
        channel: Channel::ALL[(i % Channel::ALL.len() as u64) as usize],
        direction: if i.is_multiple_of(3) {
            Direction::Outbound
        } else {
            Direction::Inbound
        },
        kind,
        subject: format!("{kind} about account servicing #{i}"),
        notes: i.is_multiple_of(2).then(|| {
            "Customer asked about fees on the monthly statement; explained the schedule \
             and sent the brochure by e-mail."
                .to_owned()
        }),
        outcome: Some(
            if i.is_multiple_of(4) {
                "follow_up"
            } else {
                "resolved"
            }
            .to_owned(),
        ),
        sentiment: Some(Sentiment::ALL[(i % 3) as usize]),
        agent_id: format!("agent-{}", i % 400),
        occurred_at,
        confidential: i.is_multiple_of(50),
        corrects_id: None,
        complaint: None,
    }
}

/// What [`interactions`] wrote.
#[derive(Debug, Clone, Copy)]
pub struct InteractionLoad {
    /// Rows written.
    pub rows: u64,
    /// Of which on the long-timeline customer.
    pub long_timeline: u64,
}

/// Loads `total` interactions: `long_timeline` of them on `customers[0]` (one a
/// minute backwards from `now`), the rest spread round-robin over the other
/// customers (one a day per customer, backwards from `now`), 20,000 rows per
/// transaction.
pub fn interactions(
    db: &NativeDatabase,
    customers: &[CustomerId],
    total: u64,
    long_timeline: u64,
    now: Timestamp,
) -> Result<InteractionLoad> {
    let long_timeline = long_timeline.min(total);
    let others = customers.len().saturating_sub(1) as u64;
    let total = if others == 0 { long_timeline } else { total };
    let mut i = 0;
    while i < total {
        let end = (i + 20_000).min(total);
        in_transaction(db as &dyn Database, |db| {
            for j in i..end {
                let (customer, occurred_at) = if j < long_timeline {
                    (customers[0], now.plus_millis(-((j as i64) + 1) * MINUTE))
                } else {
                    let k = j - long_timeline;
                    let days_ago = (k / others) as i64 + 1;
                    (
                        customers[1 + (k % others) as usize],
                        now.plus_millis(-days_ago * 24 * 60 * MINUTE - (k % 1440) as i64),
                    )
                };
                let new = contact(j, customer, occurred_at);
                let id = InteractionId::new(Ulid::from_parts(
                    occurred_at.unix_millis() as u64,
                    u128::from(j) << 32,
                ));
                interactions::repo::interactions::insert(db, id, &new, None, occurred_at)
                    .map_err(|e| anyhow!("seeding interaction {j}: {e}"))?;
            }
            anyhow::Ok(())
        })?;
        i = end;
    }
    Ok(InteractionLoad {
        rows: total,
        long_timeline,
    })
}

/// An entry id at `at`; `tag` keeps the ids of different seeders apart.
fn entry_id(at: Timestamp, n: u64, tag: u16) -> LoyaltyEntryId {
    LoyaltyEntryId::new(Ulid::from_parts(
        at.unix_millis() as u64,
        (u128::from(n) << 16) | u128::from(tag),
    ))
}

fn refused(e: ledger::Refusal) -> anyhow::Error {
    anyhow!("the ledger refused a seeded entry: {e:?}")
}

/// Writes `entries` ledger entries for `customer` through the loyalty ledger, spread
/// evenly over the 23 months before `now` so that the account has a realistic mix of
/// open lots, lots about to expire and monthly tier totals: nine card-spend earns
/// for every redemption (which draws FIFO from the oldest lots), 1,000 per
/// transaction.
pub fn loyalty_history(
    db: &NativeDatabase,
    customer: &CustomerId,
    entries: u64,
    now: Timestamp,
) -> Result<()> {
    let customer = customer.to_string();
    let span = 23 * 30 * 24 * 60 * MINUTE;
    let step = span / entries.max(1) as i64;
    let start = now.plus_millis(-span);
    let mut n = 0;
    while n < entries {
        let end = (n + 1000).min(entries);
        in_transaction(db as &dyn Database, |db| {
            for i in n..end {
                let at = start.plus_millis(i as i64 * step);
                let reference = format!("seed-{i}");
                if i % 10 == 9 {
                    let cmd = RedeemCommand {
                        customer: &customer,
                        points: Points::new(100).map_err(|e| anyhow!(e))?,
                        reward_code: "COFFEE-100",
                        reference: &reference,
                        actor: Some("bench-seed"),
                    };
                    ledger::redeem(db, &cmd, entry_id(at, i, 1), at).map_err(refused)?;
                } else {
                    let cmd = EarnCommand {
                        customer: &customer,
                        event_type: EventType::CardSpend,
                        amount: Some(Money::new(50_000 + (i % 7) as i64 * 10_000, Currency::Cny)),
                        points: None,
                        reference: &reference,
                        actor: Some("card-feed"),
                    };
                    ledger::earn(db, &cmd, entry_id(at, i, 1), at).map_err(refused)?;
                }
            }
            anyhow::Ok(())
        })?;
        n = end;
    }
    Ok(())
}

/// Gives `customer` at least `points` spendable points (card-spend earns of a million
/// CNY each, a day before `now`), so a redemption run never runs dry.
pub fn loyalty_balance(
    db: &NativeDatabase,
    customer: &CustomerId,
    points: i64,
    now: Timestamp,
) -> Result<()> {
    let customer = customer.to_string();
    let at = now.plus_millis(-24 * 60 * MINUTE);
    in_transaction(db as &dyn Database, |db| {
        let mut have = 0;
        let mut i = 0u64;
        while have < points {
            let reference = format!("balance-{i}");
            let cmd = EarnCommand {
                customer: &customer,
                event_type: EventType::CardSpend,
                amount: Some(Money::new(100_000_000, Currency::Cny)),
                points: None,
                reference: &reference,
                actor: Some("card-feed"),
            };
            let entry = ledger::earn(
                db,
                &cmd,
                entry_id(at.plus_millis(i as i64), i, 2),
                at.plus_millis(i as i64),
            )
            .map_err(refused)?;
            have = entry.balance_after;
            i += 1;
        }
        anyhow::Ok(())
    })
}

/// Grows the recommendation catalogue to `total` products through the component's own
/// insert (`recommendations::repo::insert_product`, what `PUT …/products/{code}` runs):
/// variants of the seeded products (`CARD_GOLD_V2`, …) cycling through them, so the
/// mix of categories, risk levels, age and income limits and loan terms stays the seed
/// catalogue's. Returns the catalogue's size afterwards.
pub fn catalogue(db: &NativeDatabase, total: usize, now: Timestamp) -> Result<usize> {
    let seeded = crm_recommend::load_catalogue(db).map_err(|e| anyhow!("{e}"))?;
    if seeded.is_empty() {
        return Ok(0);
    }
    let base: Vec<_> = seeded
        .iter()
        .filter(|p| !p.code.contains("_V"))
        .cloned()
        .collect();
    let mut have = seeded.len();
    let mut i = 0;
    in_transaction(db as &dyn Database, |db| {
        while have < total {
            let mut product = base[i % base.len()].clone();
            let variant = i / base.len() + 2;
            product.code = format!("{}_V{variant}", product.code);
            product.name = format!("{} (offer {variant})", product.name);
            if recommendations::repo::insert_product(db, &product, now)
                .map_err(|e| anyhow!("seeding product {}: {e}", product.code))?
                .is_some()
            {
                have += 1;
            }
            i += 1;
        }
        anyhow::Ok(())
    })?;
    Ok(have)
}

/// What the inquiries the recommendation workload's customer made are about: each
/// names a product category by one of its keywords, so every one counts in scoring.
const INQUIRY_SUBJECTS: &[&str] = &[
    "Asked about high-yield savings rates",
    "Question about a credit card with travel benefits",
    "Wants to invest in a bond fund",
    "Asked about home insurance cover",
    "Enquired about mortgage options for a flat",
    "Compared term deposit rates",
    "Asked about a personal loan for a car",
];

/// Gives `customer` `count` inquiries (type `inquiry`, inbound, one every two hours
/// backwards from `now`, so 1,000 fit in the 90-day window ranking reads), through the
/// interactions repository, in one transaction.
pub fn inquiries(
    db: &NativeDatabase,
    customer: &CustomerId,
    count: u64,
    now: Timestamp,
) -> Result<()> {
    in_transaction(db as &dyn Database, |db| {
        for i in 0..count {
            let occurred_at = now.plus_millis(-((i as i64) + 1) * 120 * MINUTE);
            let mut new = contact(i, *customer, occurred_at);
            new.kind = InteractionType::Inquiry;
            new.direction = Direction::Inbound;
            new.confidential = false;
            new.subject = INQUIRY_SUBJECTS[(i % INQUIRY_SUBJECTS.len() as u64) as usize].into();
            // The tag in the low bits keeps these ids apart from [`interactions`]'.
            let id = InteractionId::new(Ulid::from_parts(
                occurred_at.unix_millis() as u64,
                (u128::from(i) << 32) | 0x5eed,
            ));
            interactions::repo::interactions::insert(db, id, &new, None, occurred_at)
                .map_err(|e| anyhow!("seeding inquiry {i}: {e}"))?;
        }
        anyhow::Ok(())
    })
}

/// One open contact task per ten customers (after the four with fixed roles), for the
/// customer's relationship manager (`rm_<n % 100>`, as [`customer`] assigns them), due
/// over the next thirty days: the relationship managers' queues. Written by the
/// engagement service's own repository. Returns how many.
pub fn tasks(db: &NativeDatabase, ids: &[CustomerId], now: Timestamp) -> Result<u64> {
    use crm_domain::engagement::TaskId;
    let mut count = 0;
    in_transaction(db as &dyn Database, |db| {
        for (n, id) in ids.iter().enumerate().skip(4).step_by(10) {
            let n = n as u64;
            let customer = id.to_string();
            let assignee = format!("rm_{}", n % 100);
            let task = engagement::repo::tasks::Insert {
                id: TaskId::new(Ulid::from_parts(now.unix_millis() as u64, u128::from(n))),
                customer_id: &customer,
                kind: "contact",
                title: "Call about the new savings rate",
                link: None,
                assignee: &assignee,
                priority: "normal",
                due_at: now.plus_millis((n % 30) as i64 * 24 * 60 * MINUTE),
                period: None,
                created_by: "bench-seed",
            };
            engagement::repo::tasks::insert(db, &task, now)
                .map_err(|e| anyhow!("seeding task {n}: {e}"))?;
            count += 1;
        }
        anyhow::Ok(())
    })?;
    Ok(count)
}
