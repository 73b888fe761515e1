//! Bulk-loading realistic data through the storage port (the same repository code
//! the components run), so a benchmark can start from 100,000 customers in seconds
//! instead of 100,000 HTTP requests.

use anyhow::{Result, anyhow};
use crm_domain::customer::{
    ConsentChoices, Customer, CustomerDraft, EmploymentStatus, KycStatus, RiskTolerance, Segment,
    Tag, TagFamily,
};
use crm_domain::id::{CustomerId, Ulid};
use crm_domain::money::{Currency, Money};
use crm_domain::time::{Date, Timestamp};
use crm_store::native::NativeDatabase;
use crm_store::{Database, in_transaction, migrations};
use std::path::Path;

const SURNAMES: &[&str] = &[
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu",
];
const GIVEN: &[&str] = &[
    "Wei", "Fang", "Na", "Min", "Jing", "Lei", "Qiang", "Yan", "Jun", "Xiu",
];

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

/// Loads `count` customers into `<state_dir>/sqlite_db.db`, migrating it first, in
/// batches of 1,000 per transaction. Returns their ids in creation order.
pub fn customers(state_dir: &Path, count: u64) -> Result<Vec<CustomerId>> {
    let db = NativeDatabase::open(&state_dir.join("sqlite_db.db")).map_err(|e| anyhow!("{e}"))?;
    migrations::migrate(&db).map_err(|e| anyhow!("{e}"))?;
    let now = Timestamp::from_unix_millis(1_795_000_000_000);
    let mut ids = Vec::with_capacity(count as usize);
    let mut n = 0;
    while n < count {
        let end = (n + 1000).min(count);
        in_transaction(&db as &dyn Database, |db| {
            for i in n..end {
                let c = customer(i, now)?;
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
