//! The SQL of staff work: users as staff see and change them, and the records staff read.
//! Functions return rows as stored; `super::users` and `super::lists` decode them.

pub mod records;
pub mod users;
