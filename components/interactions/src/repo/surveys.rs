//! `surveys`: NPS and CSAT answers and their tallies.

use super::{opt_text, text};
use crm_domain::interaction::{CsatTally, NewSurvey, NpsTally, SurveyId, SurveyKind};
use crm_domain::time::{Date, Timestamp};
use crm_store::{Database, Row, StoreError, Value};

const INSERT: &str = "INSERT INTO surveys (
        id, customer_id, kind, score, comment, interaction_id, channel, submitted_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

const SELECT_ONE: &str = "SELECT id, customer_id, kind, score, comment, interaction_id, channel,
    submitted_at FROM surveys WHERE id = ?";

const BY_INTERACTION: &str = "SELECT id FROM surveys WHERE interaction_id = ? AND kind = ?";

/// A stored survey answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyRow {
    /// `svy_…`.
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// `nps` or `csat`.
    pub kind: String,
    /// The score.
    pub score: i64,
    /// The comment.
    pub comment: Option<String>,
    /// The interaction it rates.
    pub interaction_id: Option<String>,
    /// That interaction's channel.
    pub channel: Option<String>,
    /// When it was recorded (ms).
    pub submitted_at: i64,
}

fn decode(r: &Row<'_>) -> Result<SurveyRow, StoreError> {
    Ok(SurveyRow {
        id: text(r, "id")?,
        customer_id: text(r, "customer_id")?,
        kind: text(r, "kind")?,
        score: r.i64("score")?,
        comment: opt_text(r, "comment")?,
        interaction_id: opt_text(r, "interaction_id")?,
        channel: opt_text(r, "channel")?,
        submitted_at: r.i64("submitted_at")?,
    })
}

/// Why an answer was not stored.
#[derive(Debug)]
pub enum InsertError {
    /// This interaction already has an answer of this kind (its id).
    AlreadyAnswered(String),
    /// The store failed.
    Store(StoreError),
}

impl From<StoreError> for InsertError {
    fn from(e: StoreError) -> Self {
        InsertError::Store(e)
    }
}

/// The answer of `kind` already recorded for `interaction_id`, if any.
pub fn answer_for(
    db: &dyn Database,
    interaction_id: &str,
    kind: SurveyKind,
) -> Result<Option<String>, StoreError> {
    let rows = db.execute(
        BY_INTERACTION,
        &[Value::from(interaction_id), Value::from(kind.as_str())],
    )?;
    rows.first().map(|r| text(&r, "id")).transpose()
}

/// The answer of `kind` that `customer` gave without naming a contact in the calendar
/// month (UTC) of `now`, if any.
pub fn unlinked_answer_in_month(
    db: &dyn Database,
    customer: &str,
    kind: SurveyKind,
    now: Timestamp,
) -> Result<Option<String>, StoreError> {
    let (from, until) = month_of(now);
    let rows = db.execute(
        "SELECT id FROM surveys
         WHERE customer_id = ? AND kind = ? AND interaction_id IS NULL
           AND submitted_at >= ? AND submitted_at < ?
         LIMIT 1",
        &[
            Value::from(customer),
            Value::from(kind.as_str()),
            Value::Integer(from),
            Value::Integer(until),
        ],
    )?;
    rows.first().map(|r| text(&r, "id")).transpose()
}

/// The first millisecond of `now`'s calendar month (UTC) and of the next one.
fn month_of(now: Timestamp) -> (i64, i64) {
    const DAY_MS: i64 = 86_400_000;
    let date = now.date();
    let start = |year: i32, month: u8| {
        Date::from_ymd(year, month, 1).map_or(now.unix_millis(), |d| d.days_since_epoch() * DAY_MS)
    };
    let (next_year, next_month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    (
        start(date.year(), date.month()),
        start(next_year, next_month),
    )
}

/// Stores an answer, with the channel of the interaction it rates. At most one answer
/// per kind for a contact, and per kind and calendar month for answers that name no
/// contact: the check and the insert run in the request's write transaction, so two
/// requests cannot both pass it.
pub fn insert(
    db: &dyn Database,
    id: SurveyId,
    new: &NewSurvey,
    channel: Option<&str>,
    now: Timestamp,
) -> Result<SurveyRow, InsertError> {
    let interaction_id = new.interaction_id.map(|i| i.to_string());
    let existing = match &interaction_id {
        Some(interaction) => answer_for(db, interaction, new.kind)?,
        None => unlinked_answer_in_month(db, &new.customer_id.to_string(), new.kind, now)?,
    };
    if let Some(existing) = existing {
        return Err(InsertError::AlreadyAnswered(existing));
    }
    let row = SurveyRow {
        id: id.to_string(),
        customer_id: new.customer_id.to_string(),
        kind: new.kind.as_str().to_owned(),
        score: new.score,
        comment: new.comment.clone(),
        interaction_id,
        channel: channel.map(str::to_owned),
        submitted_at: now.unix_millis(),
    };
    let result = db.execute(
        INSERT,
        &[
            Value::from(row.id.clone()),
            Value::from(row.customer_id.clone()),
            Value::from(row.kind.clone()),
            Value::Integer(row.score),
            Value::from(row.comment.clone()),
            Value::from(row.interaction_id.clone()),
            Value::from(row.channel.clone()),
            Value::Integer(row.submitted_at),
        ],
    );
    match result {
        Ok(_) => Ok(row),
        // Another request answered between our check and our insert.
        Err(e) if e.is_unique_violation("surveys.interaction_id") => {
            let existing = match &row.interaction_id {
                Some(i) => answer_for(db, i, new.kind)?.unwrap_or_default(),
                None => String::new(),
            };
            Err(InsertError::AlreadyAnswered(existing))
        }
        Err(e) => Err(e.into()),
    }
}

/// The answer `id`, if stored.
pub fn get(db: &dyn Database, id: &str) -> Result<Option<SurveyRow>, StoreError> {
    let rows = db.execute(SELECT_ONE, &[Value::from(id)])?;
    rows.first().map(|r| decode(&r)).transpose()
}

/// What a summary covers: recorded in `[from, to)`, optionally on one channel.
#[derive(Debug, Clone, Default)]
pub struct Period {
    /// Recorded at or after.
    pub from: Option<Timestamp>,
    /// Recorded before.
    pub to: Option<Timestamp>,
    /// Only answers about interactions on this channel.
    pub channel: Option<String>,
}

/// The NPS and CSAT tallies of a period: one grouped scan, at most 17 rows back.
pub fn tally(db: &dyn Database, p: &Period) -> Result<(NpsTally, CsatTally), StoreError> {
    let mut sql = "SELECT kind, score, count(*) AS n FROM surveys WHERE 1 = 1".to_owned();
    let mut params = Vec::new();
    if let Some(from) = p.from {
        sql.push_str(" AND submitted_at >= ?");
        params.push(Value::Integer(from.unix_millis()));
    }
    if let Some(to) = p.to {
        sql.push_str(" AND submitted_at < ?");
        params.push(Value::Integer(to.unix_millis()));
    }
    if let Some(channel) = &p.channel {
        sql.push_str(" AND channel = ?");
        params.push(Value::from(channel.clone()));
    }
    sql.push_str(" GROUP BY kind, score");
    let rows = db.execute(&sql, &params)?;
    let mut nps = NpsTally::default();
    let mut csat = CsatTally::default();
    for r in rows.iter() {
        let (score, n) = (r.i64("score")?, r.i64("n")?);
        match SurveyKind::parse(r.str("kind")?) {
            Some(SurveyKind::Nps) => nps.add(score, n),
            Some(SurveyKind::Csat) => csat.add(score, n),
            None => return Err(StoreError::Decode("survey kind".into())),
        }
    }
    Ok((nps, csat))
}
