//! Multi-row statements: one `INSERT … VALUES (…), (…)` instead of one statement per row is
//! where batching pays on both engines (per-statement overhead dominates small inserts).

use super::Dialect;

/// `($1, $2, $3), ($4, $5, $6)` for `rows` rows of `columns` placeholders each.
pub fn values(rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for column in 0..columns {
            if column > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(row * columns + column + 1).to_string());
        }
        out.push(')');
    }
    out
}

/// [`values`] as `dialect` binds them fastest: on SQLite anonymous placeholders,
/// `(?, ?, ?), (?, ?, ?)`, numbered by their position. To bind a statement, sqlx asks SQLite the
/// name of every placeholder, and SQLite finds a named one (`$7`) by walking its list of names:
/// n numbered placeholders cost n²/2 steps (16 % of the SQLite commit path's CPU at 64
/// transfers a transaction, bench/README.md), anonymous ones nothing. Only for statements whose every placeholder comes
/// from here, bound in the order they appear.
pub fn values_for(dialect: Dialect, rows: usize, columns: usize) -> String {
    match dialect {
        Dialect::Postgres => values(rows, columns),
        Dialect::Sqlite => {
            let row = format!("({})", vec!["?"; columns].join(", "));
            vec![row; rows].join(", ")
        }
    }
}

/// `$first, $first+1, …` for an `IN (…)` list of `count` values.
pub fn list(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_row_by_row() {
        assert_eq!(super::values(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(super::list(3, 2), "$3, $4");
    }

    #[test]
    fn sqlite_placeholders_are_anonymous() {
        use super::{Dialect, values_for};
        assert_eq!(values_for(Dialect::Sqlite, 2, 3), "(?, ?, ?), (?, ?, ?)");
        assert_eq!(values_for(Dialect::Postgres, 2, 3), "($1, $2, $3), ($4, $5, $6)");
    }
}
