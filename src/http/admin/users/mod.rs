//! `/v1/admin/users`: create/invite, list and get (`directory`); lock, unlock, roles and grants
//! (`changes`). Shared shapes and input parsing here.

mod changes;
mod directory;

pub use changes::{grant, lock, revoke, set_roles, unlock};
pub use directory::{create, get_one, list};

use serde::Serialize;

use crate::error::{Error, FieldErrors, Problem};
use crate::identity::Role;
use crate::staff::Page;
use crate::staff::users::AdminUser;

#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminUserPage {
    items: Vec<AdminUser>,
    next_cursor: Option<String>,
}

impl From<Page<AdminUser>> for AdminUserPage {
    fn from(page: Page<AdminUser>) -> Self {
        Self { items: page.items, next_cursor: page.next_cursor }
    }
}

pub(super) fn invalid(field: &str, message: String) -> Error {
    let mut errors = FieldErrors::new();
    errors.insert(field.to_owned(), vec![message]);
    Problem::invalid_fields(errors).into()
}

pub(super) fn parse_roles(raw: &[String]) -> Result<Vec<Role>, Error> {
    raw.iter()
        .map(|r| {
            Role::parse(r).ok_or_else(|| {
                let known: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
                invalid("roles", format!("{r:?} is not one of {}", known.join(", ")))
            })
        })
        .collect()
}
