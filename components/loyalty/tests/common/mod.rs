//! Shared set-up for the loyalty tests: real migrations on rusqlite, customers inserted
//! as the customer-profile service stores them, and ledger operations run inside
//! `BEGIN IMMEDIATE` exactly as the handlers run them.
#![allow(dead_code)]

use crm_domain::id::CustomerId;
use crm_domain::loyalty::{EventType, LoyaltyEntryId, Points};
use crm_domain::money::{Currency, Money};
use crm_domain::time::Timestamp;
use crm_store::native::{fresh_state_dir, stores_in};
use crm_store::{Database, Stores, Value, in_transaction};
use loyalty::ledger::{self, EarnCommand, RedeemCommand, Refusal};
use loyalty::repo::{self, Entry};
use std::path::PathBuf;

/// A fresh database directory and its stores.
pub struct Ledger {
    pub dir: PathBuf,
    pub stores: Stores,
}

impl Ledger {
    pub fn new(name: &str) -> Ledger {
        let dir = fresh_state_dir(name);
        let stores = stores_in(&dir);
        Ledger { dir, stores }
    }

    pub fn db(&self) -> &dyn Database {
        match self.stores.database() {
            Ok(db) => db,
            Err(e) => panic!("database: {e}"),
        }
    }

    /// A customer row with `status`, as the customer-profile service writes it.
    pub fn customer(&self, status: &str) -> String {
        let id = CustomerId::new(crm_http::new_ulid(Timestamp::from_unix_millis(1))).to_string();
        insert_customer(self.db(), &id, status);
        id
    }

    pub fn earn(&self, customer: &str, cny_minor: i64, reference: &str, now: Timestamp) -> Entry {
        let command = EarnCommand {
            customer,
            event_type: EventType::CardSpend,
            amount: Some(Money::new(cny_minor, Currency::Cny)),
            points: None,
            reference,
            actor: None,
        };
        match in_transaction(self.db(), |db| ledger::earn(db, &command, id(now), now)) {
            Ok(entry) => entry,
            Err(e) => panic!("earn {reference}: {e:?}"),
        }
    }

    /// Earns exactly `points` through a campaign (no multiplier, no tier credit).
    pub fn bonus(&self, customer: &str, points: i64, reference: &str, now: Timestamp) -> Entry {
        let command = EarnCommand {
            customer,
            event_type: EventType::Campaign,
            amount: None,
            points: Some(points),
            reference,
            actor: None,
        };
        match in_transaction(self.db(), |db| ledger::earn(db, &command, id(now), now)) {
            Ok(entry) => entry,
            Err(e) => panic!("bonus {reference}: {e:?}"),
        }
    }

    pub fn redeem(
        &self,
        customer: &str,
        points: i64,
        reference: &str,
        now: Timestamp,
    ) -> Result<Entry, Refusal> {
        let command = RedeemCommand {
            customer,
            points: Points::new(points).expect("a valid amount of points"),
            reward_code: "GIFT",
            reference,
            actor: None,
        };
        in_transaction(self.db(), |db| ledger::redeem(db, &command, id(now), now))
    }

    pub fn reverse(&self, target: &str, now: Timestamp) -> Result<Entry, Refusal> {
        in_transaction(self.db(), |db| {
            ledger::reverse(db, target, "posted in error", None, id(now), now)
        })
    }

    pub fn expire(&self, customer: &str, as_of: Timestamp, now: Timestamp) -> Option<Entry> {
        match in_transaction(self.db(), |db| {
            ledger::expire(db, customer, as_of, None, id(now), now)
        }) {
            Ok(entry) => entry,
            Err(e) => panic!("expire: {e:?}"),
        }
    }

    pub fn spendable(&self, customer: &str, now: Timestamp) -> i64 {
        ledger::spendable(self.db(), customer, now).expect("spendable points")
    }

    pub fn entry(&self, id: &str) -> Entry {
        match ledger::read_entry(self.db(), id) {
            Ok(Some(entry)) => entry,
            other => panic!("entry {id}: {other:?}"),
        }
    }

    /// Asserts the ledger's books balance for `customer` and returns the balance.
    pub fn assert_consistent(&self, customer: &str) -> i64 {
        let sums = repo::reconcile(self.db(), customer).expect("reconciliation sums");
        assert!(sums.consistent(), "books do not balance: {sums:?}");
        let lots_match = self.column(&format!(
            "SELECT count(*) FROM loyalty_lots l WHERE customer_id = '{customer}' AND remaining <>
               points + (SELECT COALESCE(SUM(points), 0) FROM loyalty_allocations a
                         WHERE a.earn_id = l.earn_id)"
        ));
        assert_eq!(
            lots_match,
            ["0"],
            "a lot's remaining differs from its allocations"
        );
        let entries_match = self.column(&format!(
            "SELECT count(*) FROM loyalty_entries e WHERE customer_id = '{customer}'
               AND kind <> 'earn' AND NOT (kind = 'adjust' AND points > 0)
               AND points <> (SELECT COALESCE(SUM(points), 0) FROM loyalty_allocations a
                              WHERE a.entry_id = e.id)"
        ));
        assert_eq!(
            entries_match,
            ["0"],
            "an entry's points differ from its allocations"
        );
        sums.ledger_sum
    }

    /// The first column of every row of `sql`, as text.
    pub fn column(&self, sql: &str) -> Vec<String> {
        let rows = self
            .db()
            .execute(sql, &[])
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.iter()
            .map(|r| match r.values().first() {
                Some(Value::Integer(i)) => i.to_string(),
                Some(Value::Text(t)) => t.clone(),
                Some(other) => format!("{other:?}"),
                None => String::new(),
            })
            .collect()
    }
}

pub fn insert_customer(db: &dyn Database, id: &str, status: &str) {
    let result = db.execute(
        "INSERT INTO customers (id, status, segment, value_tier, kyc_status, risk_tolerance,
            document, version, created_at, updated_at)
         VALUES (?, ?, 'retail', 'standard', 'verified', 'balanced', '{}', 1, 0, 0)",
        &[Value::from(id), Value::from(status)],
    );
    if let Err(e) = result {
        panic!("insert customer: {e}");
    }
}

pub fn id(now: Timestamp) -> LoyaltyEntryId {
    LoyaltyEntryId::new(crm_http::new_ulid(now))
}

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}
