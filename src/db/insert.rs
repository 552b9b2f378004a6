//! Multi-row inserts: one statement per table, however many rows.
//!
//! On PostgreSQL the rows travel as one JSON parameter, an array of arrays read by
//! `jsonb_array_elements`, so the statement's text, and the plan prepared for it, is the same
//! for every row count: one prepared statement per table and connection, planned once. On SQLite they go as
//! `VALUES (…), (…)` with one placeholder per value (SQLite prepares statements cheaply and its
//! JSON functions do not make typed records).

use serde_json::Value as Json;
use sqlx::AnyConnection;

use super::{Dialect, batch};

/// One value of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Self::Text(Some(value))
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Self::Text(Some(value.to_owned()))
    }
}

impl From<Option<String>> for Value {
    fn from(value: Option<String>) -> Self {
        Self::Text(value)
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Self::Int(Some(value))
    }
}

impl From<Option<i64>> for Value {
    fn from(value: Option<i64>) -> Self {
        Self::Int(value)
    }
}

impl From<Value> for Json {
    fn from(value: Value) -> Self {
        match value {
            Value::Text(text) => text.map_or(Json::Null, Json::String),
            Value::Int(int) => int.map_or(Json::Null, Json::from),
        }
    }
}

/// Rows for `table`'s `columns`, written by [`Insert::execute`]. Table and column names are
/// the caller's constants, never input.
pub struct Insert {
    table: &'static str,
    columns: &'static [&'static str],
    values: Vec<Value>,
}

impl Insert {
    pub fn new(table: &'static str, columns: &'static [&'static str]) -> Self {
        Self { table, columns, values: Vec::new() }
    }

    /// Adds a row: one value per column, in the columns' order.
    pub fn row<const N: usize>(&mut self, row: [Value; N]) {
        assert_eq!(N, self.columns.len(), "a row of {} has one value per column", self.table);
        self.values.extend(row);
    }

    pub fn len(&self) -> usize {
        self.values.len() / self.columns.len().max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Inserts every row in one statement (nothing when there are none).
    pub async fn execute(self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        if self.is_empty() {
            return Ok(());
        }
        let columns = self.columns.join(", ");
        if Dialect::of(conn) == Dialect::Postgres {
            let sql = format!(
                "INSERT INTO {} ({columns}) SELECT {} FROM jsonb_array_elements($1::jsonb) AS r",
                self.table,
                self.select_list()
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(self.json()).execute(&mut *conn).await?;
        } else {
            let sql = format!(
                "INSERT INTO {} ({columns}) VALUES {}",
                self.table,
                batch::values(self.len(), self.columns.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for value in self.values {
                query = match value {
                    Value::Text(text) => query.bind(text),
                    Value::Int(int) => query.bind(int),
                };
            }
            query.execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// `r->>0, CAST(r->>1 AS BIGINT), …`: each column of a row `r`, typed as its first value.
    fn select_list(&self) -> String {
        let columns = self.values.iter().take(self.columns.len()).enumerate();
        let typed = columns.map(|(i, value)| match value {
            Value::Text(_) => format!("r->>{i}"),
            Value::Int(_) => format!("CAST(r->>{i} AS BIGINT)"),
        });
        typed.collect::<Vec<_>>().join(", ")
    }

    /// `[[value, …], …]`, one array per row.
    fn json(self) -> String {
        let width = self.columns.len().max(1);
        let mut rows = Vec::with_capacity(self.len());
        let mut values = self.values.into_iter().peekable();
        while values.peek().is_some() {
            rows.push(Json::Array(values.by_ref().take(width).map(Json::from).collect()));
        }
        Json::Array(rows).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::{Insert, Value};

    #[test]
    fn rows_become_one_json_array_each() {
        let mut insert = Insert::new("t", &["name", "n"]);
        insert.row(["a".into(), Value::Int(Some(1))]);
        insert.row([Value::Text(None), Value::Int(None)]);
        assert_eq!(insert.len(), 2);
        assert_eq!(insert.select_list(), "r->>0, CAST(r->>1 AS BIGINT)");
        assert_eq!(insert.json(), r#"[["a",1],[null,null]]"#);
    }

    #[test]
    #[should_panic(expected = "one value per column")]
    fn a_short_row_is_a_bug() {
        Insert::new("t", &["a", "b"]).row(["a".into()]);
    }
}
