//! `?limit=` and `?cursor=` (docs/api.md Conventions): parsing them, and paging a list that is read
//! whole because it is small by nature (one customer's accounts or documents).

use serde::Deserialize;

use crate::error::{Error, Problem};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

pub fn limit(raw: Option<u32>) -> Result<u32, Error> {
    match raw {
        None => Ok(50),
        Some(limit @ 1..=200) => Ok(limit),
        Some(_) => Err(Problem::bad_request("limit must be between 1 and 200").into()),
    }
}

fn foreign_cursor() -> Error {
    Problem::bad_request("cursor is not one this server issued").into()
}

pub fn cursor<T: std::str::FromStr>(raw: Option<&str>) -> Result<Option<T>, Error> {
    raw.map(|c| c.parse::<T>().map_err(|_| foreign_cursor())).transpose()
}

/// One page of `items` (already in their list order): the items after the one whose `key` is
/// the cursor, up to the limit, and the cursor of the next page when there is one. Keys must be
/// unique and the item a cursor names must keep its place (ids of rows that are never deleted,
/// in an order new rows do not enter before them).
pub fn page<T>(
    items: Vec<T>,
    query: &PageQuery,
    key: impl Fn(&T) -> String,
) -> Result<(Vec<T>, Option<String>), Error> {
    let limit = limit(query.limit)? as usize;
    let start = match &query.cursor {
        None => 0,
        Some(cursor) => items.iter().position(|item| key(item) == *cursor).ok_or_else(foreign_cursor)? + 1,
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let next = (rest.len() > limit).then(|| key(&rest[limit - 1]));
    rest.truncate(limit);
    Ok((rest, next))
}

#[cfg(test)]
mod tests {
    use super::{PageQuery, page};

    fn query(limit: Option<u32>, cursor: Option<&str>) -> PageQuery {
        PageQuery { limit, cursor: cursor.map(str::to_owned) }
    }

    #[test]
    fn pages_walk_the_list_once_and_refuse_a_foreign_cursor() {
        let items: Vec<u32> = (1..=5).collect();
        let key = |n: &u32| n.to_string();
        let (first, next) = page(items.clone(), &query(Some(2), None), key).unwrap();
        assert_eq!((first, next.as_deref()), (vec![1, 2], Some("2")));
        let (second, next) = page(items.clone(), &query(Some(2), Some("2")), key).unwrap();
        assert_eq!((second, next.as_deref()), (vec![3, 4], Some("4")));
        let (last, next) = page(items.clone(), &query(Some(2), Some("4")), key).unwrap();
        assert_eq!((last, next), (vec![5], None));
        let (all, next) = page(items.clone(), &query(None, None), key).unwrap();
        assert_eq!((all.len(), next), (5, None));
        assert!(page(items.clone(), &query(Some(2), Some("9")), key).is_err());
        assert!(page(items, &query(Some(0), None), key).is_err());
    }
}
