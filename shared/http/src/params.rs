//! Query parameters read with every problem they have collected, so that one 422 lists
//! them all; unknown parameters are refused (400) before anything else.

use crate::{ApiError, Ctx, FieldError};
use crm_domain::page::{After, Cursor, Limit, PageError};
use crm_domain::time::Timestamp;

/// The query of one request, with the problems found so far.
pub struct QueryParams<'c, 'a> {
    ctx: &'c Ctx<'a>,
    errors: Vec<FieldError>,
}

impl<'c, 'a> QueryParams<'c, 'a> {
    /// Refuses a parameter outside `known` (400) before anything is parsed.
    pub fn new(ctx: &'c Ctx<'a>, known: &[&str]) -> Result<Self, ApiError> {
        ctx.only_query_params(known)?;
        Ok(QueryParams {
            ctx,
            errors: Vec::new(),
        })
    }

    /// Records a problem with `field`.
    pub fn reject(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// Whether a problem has been recorded.
    pub fn has_problems(&self) -> bool {
        !self.errors.is_empty()
    }

    /// A text parameter, 1 to `max` characters when present.
    pub fn text(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        let value = self.ctx.query(name)?;
        if let Some(v) = &value
            && (v.is_empty() || v.chars().count() > max)
        {
            self.reject(name, format!("must be 1 to {max} characters"));
            return Ok(None);
        }
        Ok(value)
    }

    /// A parameter parsed by `parse`, whose error becomes the message.
    pub fn parsed<T, E: std::fmt::Display>(
        &mut self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>, ApiError> {
        let Some(raw) = self.ctx.query(name)? else {
            return Ok(None);
        };
        match parse(&raw) {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                self.reject(name, e.to_string());
                Ok(None)
            }
        }
    }

    /// A parameter that must be present, parsed by `parse`.
    pub fn required<T, E: std::fmt::Display>(
        &mut self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>, ApiError> {
        if self.ctx.query(name)?.is_none() {
            self.reject(name, "is required");
            return Ok(None);
        }
        self.parsed(name, parse)
    }

    /// A closed-set parameter.
    pub fn one_of<T>(
        &mut self,
        name: &str,
        parse: fn(&str) -> Option<T>,
        expected: String,
    ) -> Result<Option<T>, ApiError> {
        self.parsed(name, |raw| {
            parse(raw).ok_or_else(|| format!("must be one of {expected}"))
        })
    }

    /// A `true`/`false` flag.
    pub fn flag(&mut self, name: &str) -> Result<Option<bool>, ApiError> {
        self.parsed(name, |raw| match raw {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err("must be true or false"),
        })
    }

    /// `from` and `to` as RFC 3339 instants, `from` before `to`.
    pub fn period(&mut self) -> Result<(Option<Timestamp>, Option<Timestamp>), ApiError> {
        let from = self.parsed("from", Timestamp::parse)?;
        let to = self.parsed("to", Timestamp::parse)?;
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            self.reject("to", "must be later than from");
        }
        Ok((from, to))
    }

    /// The period of a figures answer: `to` defaults to `now`, `from` to `default_days`
    /// before `to`; `from` must come before `to`, and the period may span at most
    /// `max_days`. Problems are collected like the other parameters'.
    pub fn window(
        &mut self,
        now: Timestamp,
        default_days: i64,
        max_days: i64,
    ) -> Result<(Timestamp, Timestamp), ApiError> {
        const DAY_MS: i64 = 86_400_000;
        let (from, to) = self.period()?;
        let to = to.unwrap_or(now);
        let from = from.unwrap_or(to.plus_millis(-default_days * DAY_MS));
        if !self.has_problems() {
            if from >= to {
                self.reject("to", "must be later than from");
            } else if to.unix_millis() - from.unix_millis() > max_days * DAY_MS {
                self.reject(
                    "from",
                    format!("the period may span at most {max_days} days"),
                );
            }
        }
        Ok((from, to))
    }

    /// The period of a figures endpoint whose only parameters are `from` and `to`
    /// ([`QueryParams::window`]), or the 400/422 that refuses them.
    pub fn figures_period(
        ctx: &'c Ctx<'a>,
        default_days: i64,
        max_days: i64,
    ) -> Result<(Timestamp, Timestamp), ApiError> {
        let mut q = QueryParams::new(ctx, &["from", "to"])?;
        let period = q.window(ctx.now, default_days, max_days)?;
        q.check()?;
        Ok(period)
    }

    /// `limit`: the default page size when absent, `None` (with the problem) when invalid.
    pub fn limit(&mut self) -> Result<Option<Limit>, ApiError> {
        match self.ctx.query("limit")? {
            None => Ok(Limit::parse(None).ok()),
            Some(_) => self.parsed("limit", |raw| Limit::parse(Some(raw))),
        }
    }

    /// `cursor`, its key decoded by `key` (`None` when the key is not one this list makes).
    pub fn cursor<T>(&mut self, key: impl Fn(&str) -> Option<T>) -> Result<Option<T>, ApiError> {
        self.parsed("cursor", |raw| {
            Cursor::decode(raw)
                .ok()
                .and_then(|c| key(c.key()))
                .ok_or(PageError::Cursor)
        })
    }

    /// `limit` and a keyset `cursor` (from [`After::token`]) whose id passes `id_ok`.
    pub fn keyset(
        &mut self,
        id_ok: fn(&str) -> bool,
    ) -> Result<(Option<Limit>, Option<After>), ApiError> {
        let limit = self.limit()?;
        let after = self.cursor(|key| After::from_key(key, id_ok))?;
        Ok((limit, after))
    }

    /// The collected problems as one 422, or the value when there were none.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, ApiError> {
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ if self.errors.is_empty() => Err(ApiError::invalid("query", "is invalid")),
            _ => Err(ApiError::Validation(self.errors)),
        }
    }

    /// The collected problems as one 422, if any.
    pub fn check(self) -> Result<(), ApiError> {
        self.finish(Some(()))
    }
}
