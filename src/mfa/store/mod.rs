//! SQL for TOTP secrets, backup codes and the MFA step of sign-in, one file per table.

mod backup_codes;
mod challenges;
mod factors;
mod reseal;
mod totp;

pub use backup_codes::{replace_backup_codes, use_backup_code};
pub use challenges::{Challenge, Reserved, close_challenge, find_live, reserve_attempt};
pub use factors::has_second_factor;
pub use reseal::reseal_secrets;
pub use totp::{ACTIVE, PENDING, TotpRow, accept_step, activate, find_totp, put_pending, remove};
