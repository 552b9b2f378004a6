//! Multi-row inserts: one statement per table, however many rows.
//!
//! On PostgreSQL the rows travel as one JSON parameter, an array of arrays read by
//! `jsonb_array_elements`, so the statement's text, and the plan prepared for it, is the same
//! for every row count: one prepared statement per table and connection, planned once. On SQLite they go as
//! `VALUES (…), (…)` with one placeholder per value (SQLite prepares statements cheaply and its
//! JSON functions do not make typed records).
//!
//! [`execute_all`] writes several tables' rows at once: on PostgreSQL as one statement (each
//! insert but the last a data-modifying `WITH` clause), so a transaction that fills five tables
//! waits for one round trip instead of five; on SQLite, which runs in-process, one statement
//! each, in order.

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
        execute_all(conn, [self]).await
    }

    /// `INSERT INTO t (a, b) SELECT r->>0, … FROM jsonb_array_elements($n::jsonb) AS r`.
    fn postgres_statement(&self, param: usize) -> String {
        format!(
            "INSERT INTO {} ({}) SELECT {} FROM jsonb_array_elements(${param}::jsonb) AS r",
            self.table,
            self.columns.join(", "),
            self.select_list()
        )
    }

    async fn execute_sqlite(self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {}",
            self.table,
            self.columns.join(", "),
            batch::values_for(Dialect::Sqlite, self.len(), self.columns.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for value in self.values {
            query = match value {
                Value::Text(text) => query.bind(text),
                Value::Int(int) => query.bind(int),
            };
        }
        query.execute(&mut *conn).await?;
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

/// Inserts the rows of every insert, in order (empty ones are skipped). On PostgreSQL that is
/// one statement — `WITH w0 AS (INSERT …), w1 AS (INSERT …) INSERT …` — whose parts all run to
/// completion, with foreign keys checked at its end (so a posting may name an entry inserted by
/// an earlier part); on SQLite one statement per insert.
pub async fn execute_all(
    conn: &mut AnyConnection,
    inserts: impl IntoIterator<Item = Insert>,
) -> Result<(), sqlx::Error> {
    let inserts: Vec<Insert> = inserts.into_iter().filter(|insert| !insert.is_empty()).collect();
    if inserts.is_empty() {
        return Ok(());
    }
    if Dialect::of(conn) == Dialect::Sqlite {
        for insert in inserts {
            insert.execute_sqlite(conn).await?;
        }
        return Ok(());
    }
    let sql = postgres_statement(&inserts);
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for insert in inserts {
        query = query.bind(insert.json());
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// One statement for every insert: `$1` carries the first one's rows, `$2` the second's, …
fn postgres_statement(inserts: &[Insert]) -> String {
    let Some((last, first)) = inserts.split_last() else { return String::new() };
    let clauses: Vec<String> =
        first.iter().enumerate().map(|(i, insert)| format!("w{i} AS ({})", insert.postgres_statement(i + 1))).collect();
    let last = last.postgres_statement(inserts.len());
    if clauses.is_empty() { last } else { format!("WITH {} {last}", clauses.join(", ")) }
}

#[cfg(test)]
mod tests {
    use super::{Insert, Value, postgres_statement};

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
    fn several_inserts_are_one_postgres_statement() {
        let mut first = Insert::new("a", &["x"]);
        first.row(["1".into()]);
        let mut second = Insert::new("b", &["y", "n"]);
        second.row(["2".into(), 3.into()]);
        assert_eq!(
            postgres_statement(&[first, second]),
            "WITH w0 AS (INSERT INTO a (x) SELECT r->>0 FROM jsonb_array_elements($1::jsonb) AS r) \
             INSERT INTO b (y, n) SELECT r->>0, CAST(r->>1 AS BIGINT) FROM jsonb_array_elements($2::jsonb) AS r"
        );
    }

    #[test]
    #[should_panic(expected = "one value per column")]
    fn a_short_row_is_a_bug() {
        Insert::new("t", &["a", "b"]).row(["a".into()]);
    }
}
