//! Re-sealing TOTP secrets after an encryption key rotation.

use crate::db::reseal::{SealedColumn, reseal_column};

/// Re-seals TOTP secrets not under the active encryption key (after `tresor keys rotate`), in
/// batches, each row only if it did not change meanwhile. Returns how many.
#[tracing::instrument(skip_all)]
pub async fn reseal_secrets(db: &crate::db::Db, ring: &crate::crypto::KeyRing, batch: i64) -> anyhow::Result<u64> {
    use crate::crypto::aead;
    let prefix = format!("v1:{}:%", ring.active().0);
    let column = SealedColumn { table: "mfa_totp", id: "user_id", value: "secret" };
    reseal_column(db, column, &prefix, batch, |user_id, sealed| {
        let place = aead::associated_data("mfa_totp", "secret", user_id);
        let plain = zeroize::Zeroizing::new(
            aead::open(ring, sealed, &place).map_err(|e| anyhow::anyhow!("mfa_totp of {user_id}: {e}"))?,
        );
        Ok(aead::seal(ring, &plain, &place))
    })
    .await
}
