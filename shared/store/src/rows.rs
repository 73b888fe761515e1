//! Values and result rows, shaped like Spin's `sqlite` interface so both adapters map 1:1.

use crate::StoreError;

/// A SQLite value, as a parameter or a result column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A 64-bit signed integer.
    Integer(i64),
    /// A double; never used for money.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
    /// SQL NULL.
    Null,
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Integer(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Integer(i64::from(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The rows a statement returned, with their column names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl Rows {
    /// Rows from column names and values in column order.
    pub fn new(columns: Vec<String>, rows: Vec<Vec<Value>>) -> Self {
        Rows { columns, rows }
    }

    /// How many rows came back.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when no row came back.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows in order.
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|values| Row {
            columns: &self.columns,
            values,
        })
    }

    /// The first row, if any.
    pub fn first(&self) -> Option<Row<'_>> {
        self.iter().next()
    }
}

/// One result row; columns are looked up by name so that a query can reorder them safely.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    columns: &'a [String],
    values: &'a [Value],
}

impl<'a> Row<'a> {
    /// Every value of the row, in column order.
    pub fn values(&self) -> &'a [Value] {
        self.values
    }

    /// The raw value of `column`.
    pub fn value(&self, column: &str) -> Result<&'a Value, StoreError> {
        self.columns
            .iter()
            .position(|c| c == column)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| StoreError::Decode(format!("no column `{column}`")))
    }

    /// `column` as an integer.
    pub fn i64(&self, column: &str) -> Result<i64, StoreError> {
        match self.value(column)? {
            Value::Integer(v) => Ok(*v),
            other => Err(wrong_type(column, "integer", other)),
        }
    }

    /// `column` as an integer, `None` for NULL.
    pub fn opt_i64(&self, column: &str) -> Result<Option<i64>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            _ => self.i64(column).map(Some),
        }
    }

    /// `column` as text.
    pub fn str(&self, column: &str) -> Result<&'a str, StoreError> {
        match self.value(column)? {
            Value::Text(v) => Ok(v),
            other => Err(wrong_type(column, "text", other)),
        }
    }

    /// `column` as text, `None` for NULL.
    pub fn opt_str(&self, column: &str) -> Result<Option<&'a str>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            _ => self.str(column).map(Some),
        }
    }

    /// `column` as bytes (a BLOB, or TEXT read as its UTF-8 bytes).
    pub fn bytes(&self, column: &str) -> Result<&'a [u8], StoreError> {
        match self.value(column)? {
            Value::Blob(v) => Ok(v),
            Value::Text(v) => Ok(v.as_bytes()),
            other => Err(wrong_type(column, "blob", other)),
        }
    }
}

impl<'a> Row<'a> {
    /// A text column holding one of a closed set's names, as `parse` reads it (a
    /// `crm_domain` enum's `parse`): a name the code does not know is a decode error.
    pub fn parsed<T>(
        &self,
        column: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T, StoreError> {
        let text = self.str(column)?;
        parse(text).ok_or_else(|| unknown_value(column, text))
    }
}

// Out of line: `parsed` is instantiated per enum, its error message need not be.
#[cold]
#[inline(never)]
fn unknown_value(column: &str, text: &str) -> StoreError {
    StoreError::Decode(format!(
        "column `{column}` holds `{text}`, not a known value"
    ))
}

fn wrong_type(column: &str, expected: &str, found: &Value) -> StoreError {
    let found = match found {
        Value::Integer(_) => "integer",
        Value::Real(_) => "real",
        Value::Text(_) => "text",
        Value::Blob(_) => "blob",
        Value::Null => "null",
    };
    StoreError::Decode(format!("column `{column}` is {found}, expected {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_read_by_name_with_their_types() {
        let rows = Rows::new(
            vec!["id".into(), "n".into(), "note".into()],
            vec![vec![Value::from("a"), Value::from(7), Value::Null]],
        );
        let row = rows.first().expect("one row");
        assert_eq!(row.str("id"), Ok("a"));
        assert_eq!(row.i64("n"), Ok(7));
        assert_eq!(row.opt_str("note"), Ok(None));
        assert!(matches!(row.i64("id"), Err(StoreError::Decode(_))));
        assert!(matches!(row.value("missing"), Err(StoreError::Decode(_))));
    }

    #[test]
    fn a_closed_set_column_parses_its_names_and_refuses_others() {
        let rows = Rows::new(
            vec!["status".into(), "other".into()],
            vec![vec![Value::from("erased"), Value::from("gone")]],
        );
        let row = rows.first().expect("one row");
        let parse = crm_domain::customer::CustomerStatus::parse;
        assert_eq!(
            row.parsed("status", parse),
            Ok(crm_domain::customer::CustomerStatus::Erased)
        );
        assert!(
            matches!(row.parsed("other", parse), Err(StoreError::Decode(m)) if m.contains("`gone`"))
        );
    }
}
