//! Query plans of the hot reads, taken on the seeded database: a [`Database`] wrapper
//! that runs the services' own read functions and, next to every `SELECT` they issue,
//! `EXPLAIN QUERY PLAN` of the same text with the same parameters. What is printed is
//! therefore what SQLite does for the real request, not a hand-copied query.

use crm_domain::id::CustomerId;
use crm_domain::time::Timestamp;
use crm_store::{Database, Rows, StoreError, Value};
use std::cell::RefCell;

/// One statement a read ran and its plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The SQL text, whitespace collapsed.
    pub sql: String,
    /// The plan's lines, indented by depth.
    pub lines: Vec<String>,
}

impl Plan {
    /// Whether any line scans a whole stored table: a `SCAN` not of a constant row, a
    /// table-valued function (`json_each`) or a subquery's or CTE's result.
    pub fn scans_a_table(&self) -> bool {
        let derived: Vec<&str> = self
            .lines
            .iter()
            .filter_map(|l| {
                let l = l.trim_start();
                l.strip_prefix("CO-ROUTINE ")
                    .or_else(|| l.strip_prefix("MATERIALIZE "))
            })
            .collect();
        self.lines.iter().any(|l| {
            let l = l.trim_start();
            let Some(rest) = l.strip_prefix("SCAN ") else {
                return false;
            };
            let name = rest.split_whitespace().next().unwrap_or_default();
            !rest.starts_with("CONSTANT ROW")
                && !rest.contains("VIRTUAL TABLE")
                && !derived.contains(&name)
        })
    }
}

/// Runs statements on `inner` and records the plan of every query among them.
pub struct Explaining<'a> {
    inner: &'a dyn Database,
    plans: RefCell<Vec<Plan>>,
}

impl<'a> Explaining<'a> {
    /// Wraps `inner`.
    pub fn new(inner: &'a dyn Database) -> Self {
        Explaining {
            inner,
            plans: RefCell::new(Vec::new()),
        }
    }

    /// The plans recorded so far, in execution order, and forgets them.
    pub fn take(&self) -> Vec<Plan> {
        std::mem::take(&mut self.plans.borrow_mut())
    }
}

impl Database for Explaining<'_> {
    fn execute(&self, sql: &str, params: &[Value]) -> Result<Rows, StoreError> {
        let head = sql.trim_start().to_ascii_uppercase();
        if head.starts_with("SELECT") || head.starts_with("WITH") {
            let rows = self
                .inner
                .execute(&format!("EXPLAIN QUERY PLAN {sql}"), params)?;
            // Rows are (id, parent, notused, detail); depth follows the parent chain.
            let mut depth: Vec<(i64, usize)> = Vec::new();
            let mut lines = Vec::new();
            for r in rows.iter() {
                let (id, parent) = (r.i64("id")?, r.i64("parent")?);
                let level = depth
                    .iter()
                    .find(|(i, _)| *i == parent)
                    .map_or(0, |(_, d)| d + 1);
                depth.push((id, level));
                lines.push(format!("{}{}", "  ".repeat(level), r.str("detail")?));
            }
            self.plans.borrow_mut().push(Plan {
                sql: sql.split_whitespace().collect::<Vec<_>>().join(" "),
                lines,
            });
        }
        self.inner.execute(sql, params)
    }
}

/// The plans of each hot read, by workload name, on the seeded database `db`.
pub struct Subjects<'a> {
    /// A customer to read and show in 360.
    pub customer: &'a CustomerId,
    /// The customer with the long timeline.
    pub timeline_customer: &'a CustomerId,
    /// The customer with the 10,000-entry ledger.
    pub loyalty_customer: &'a CustomerId,
    /// The customer with 1,000 recent inquiries, ranked against the whole catalogue.
    pub history_customer: &'a CustomerId,
}

/// Runs each hot read once through [`Explaining`] and returns its plans.
pub fn hot_reads(
    db: &dyn Database,
    who: &Subjects<'_>,
    now: Timestamp,
) -> anyhow::Result<Vec<(&'static str, Vec<Plan>)>> {
    let x = Explaining::new(db);
    let err = |e: StoreError| anyhow::anyhow!("{e}");
    let mut out = Vec::new();

    loyalty::ledger::check_customer(&x, &who.loyalty_customer.to_string(), true)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    loyalty::account::view(&x, &who.loyalty_customer.to_string(), now).map_err(err)?;
    out.push(("loyalty.account", x.take()));

    let page = interactions::repo::interactions::Timeline {
        customer_id: who.timeline_customer.to_string(),
        channel: None,
        kind: None,
        from: None,
        to: None,
        after: None,
        limit: 50,
    };
    crm_store::read::customers::customer_status(&x, &page.customer_id).map_err(err)?;
    interactions::repo::interactions::timeline(&x, &page).map_err(err)?;
    out.push(("interaction.timeline", x.take()));

    let (customer, _) = customer_profile::repo::get(&x, who.customer)
        .map_err(err)?
        .ok_or_else(|| anyhow::anyhow!("the seeded customer is missing"))?;
    customer_profile::repo::last_activity(&x, &customer).map_err(err)?;
    out.push(("customer.read", x.take()));

    // `customer_profile::search` is private, so its list statement is rebuilt here
    // from the same public pieces (`crm_store::read`); keep in step with `search::list`.
    let activity = format!(
        "max(c.created_at, COALESCE({}, 0), {})",
        crm_store::read::interactions::LAST_INBOUND_CONTACT_SQL,
        crm_store::read::loyalty::LAST_CUSTOMER_ACTIVITY_SQL
    );
    let list = |clause: &str| {
        format!(
            "SELECT c.document, c.version, {activity} AS last_activity FROM customers c
             WHERE c.status <> 'erased' AND {clause} ORDER BY c.id LIMIT ?"
        )
    };
    let prefix = "wang w";
    x.execute(
        &list("((c.name_key >= ? AND c.name_key < ?) OR c.email = ? OR c.phone = ?)"),
        &[
            Value::from(prefix),
            Value::from(format!("{prefix}{}", char::MAX)),
            Value::from(prefix),
            Value::from(prefix),
            Value::Integer(21),
        ],
    )
    .map_err(err)?;
    out.push(("customer.search (copy of search::list)", x.take()));
    x.execute(
        &list("c.segment = ?"),
        &[Value::from("retail"), Value::Integer(51)],
    )
    .map_err(err)?;
    out.push(("customer.list (copy of search::list)", x.take()));

    crm_recommend::recommend(&x, who.history_customer, now, None, 3)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    out.push(("recommendations", x.take()));

    Ok(out)
}

/// The plans as text: each workload, then each statement's SQL and plan.
pub fn render(plans: &[(&str, Vec<Plan>)]) -> String {
    let mut out = String::new();
    for (workload, statements) in plans {
        out.push_str(&format!("== {workload}\n"));
        for p in statements {
            let sql: String = if p.sql.chars().count() > 160 {
                p.sql.chars().take(157).chain("...".chars()).collect()
            } else {
                p.sql.clone()
            };
            out.push_str(&format!("-- {sql}\n"));
            for l in &p.lines {
                out.push_str(&format!("   {l}\n"));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Plan;

    fn plan(lines: &[&str]) -> Plan {
        Plan {
            sql: String::new(),
            lines: lines.iter().map(|l| (*l).to_owned()).collect(),
        }
    }

    #[test]
    fn a_scan_of_a_stored_table_is_a_scan() {
        assert!(plan(&["SCAN c USING INDEX sqlite_autoindex_customers_1"]).scans_a_table());
    }

    #[test]
    fn searches_json_each_and_cte_results_are_not_table_scans() {
        assert!(
            !plan(&[
                "SEARCH customers USING INDEX sqlite_autoindex_customers_1 (id=?)",
                "  SCAN h VIRTUAL TABLE INDEX 3:",
                "CO-ROUTINE latest",
                "  SEARCH loan_applications USING INDEX loan_applications_by_customer (customer_id=?)",
                "SCAN latest",
                "SCAN CONSTANT ROW",
            ])
            .scans_a_table()
        );
    }
}
