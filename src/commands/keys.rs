//! `tresor keys generate` and `tresor keys rotate`. Rotating re-seals what each capability
//! keeps under the encryption and MAC rings: users' personal data (identity), queued emails
//! (the mail outbox), TOTP secrets (MFA), the data keys of stored documents (documents) and
//! the files of finished exports (exports).

use std::process::ExitCode;

use crate::cli::Ring;
use crate::config::Config;
use crate::crypto::keyfile::{self, ring_path};
use crate::crypto::{Keys, keyring::RINGS};
use crate::db::Db;
use crate::db::reseal::{SealedColumn, reseal_column};
use crate::identity::rekey;
use crate::state::{connect, sqlite_file};

fn selected(ring: Option<Ring>) -> Vec<&'static str> {
    ring.map_or_else(|| RINGS.to_vec(), |r| vec![r.name()])
}

pub fn generate(config: &Config, ring: Option<Ring>) -> anyhow::Result<ExitCode> {
    for name in selected(ring) {
        let (id, active) = keyfile::generate(&ring_path(&config.keys_dir, name))?;
        let state = if active { "active (new ring)" } else { "inactive until `tresor keys rotate`" };
        println!("{name}: added key {id}, {state}");
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn rotate(config: Config, ring: Option<Ring>, batch: i64) -> anyhow::Result<ExitCode> {
    for name in selected(ring) {
        let (id, changed) = keyfile::rotate(&ring_path(&config.keys_dir, name))?;
        let what = if changed { "is now active" } else { "was already active (the newest key)" };
        println!("{name}: key {id} {what}");
    }
    let keys = Keys::load(&config.keys_dir, false)?;
    let database = connect(&config).await?;
    crate::db::migrate(&database, sqlite_file(&config)).await?;
    let report = reencrypt(&database, &keys, batch).await?;
    database.close().await;
    println!(
        "re-encrypted {} users' personal data, {} queued emails, {} TOTP secrets, {} document data keys and {} export files under the active keys, and {} webhook secrets",
        report.users, report.emails, report.totp_secrets, report.document_keys, report.exports, report.webhook_secrets
    );
    println!("re-sealed {} statement files", report.statement_files);
    println!("re-sealed {} card numbers", report.card_numbers);
    if report.remaining > 0 {
        println!(
            "{} rows changed during the run under an older key (a server that has not reloaded the rings yet); run `tresor keys rotate` again",
            report.remaining
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// What a rotation re-sealed.
#[derive(Debug, Default)]
struct RekeyReport {
    users: u64,
    emails: u64,
    /// TOTP secrets re-sealed.
    totp_secrets: u64,
    /// Sealed data keys of document versions and their clean copies re-wrapped.
    document_keys: u64,
    /// Files of finished exports re-sealed.
    exports: u64,
    /// Webhook endpoints' secrets (current and previous) re-sealed.
    webhook_secrets: u64,
    /// Statements' CSV and PDF files re-sealed.
    statement_files: u64,
    /// Card numbers re-sealed.
    card_numbers: u64,
    /// Rows still under an older key; running `tresor keys rotate` again finishes them.
    remaining: u64,
}

/// Re-seals every capability's data not under the active keys.
async fn reencrypt(db: &Db, keys: &Keys, batch: i64) -> anyhow::Result<RekeyReport> {
    let personal = rekey::reseal_personal_data(db, keys, batch).await?;
    let prefix = format!("v1:{}:%", keys.encryption.active().0);
    let outbox = SealedColumn { table: "email_outbox", id: "id", value: "payload" };
    let emails = reseal_column(db, outbox, &prefix, batch, |id, payload| {
        crate::mail::reseal(&keys.encryption, &crate::db::decode::uuid(id)?, payload)
    })
    .await?;
    let totp_secrets = crate::mfa::store::reseal_secrets(db, &keys.encryption, batch).await?;
    let document_keys = crate::documents::rewrap::rewrap_data_keys(db, keys).await?;
    let files = SealedColumn { table: "exports", id: "id", value: "payload" };
    let exports = reseal_column(db, files, &prefix, batch, |id, payload| {
        crate::exports::reseal(&keys.encryption, &crate::db::decode::uuid(id)?, payload)
    })
    .await?;
    let mut webhook_secrets = 0;
    for column in ["secret", "previous_secret"] {
        let sealed = SealedColumn { table: "webhook_endpoints", id: "id", value: column };
        webhook_secrets += reseal_column(db, sealed, &prefix, batch, |id, value| {
            crate::webhooks::reseal(&keys.encryption, crate::db::decode::uuid(id)?, column, value)
        })
        .await?;
    }
    let mut statement_files = 0;
    for column in ["csv_sealed", "pdf_sealed"] {
        let sealed = SealedColumn { table: "statements", id: "id", value: column };
        statement_files += reseal_column(db, sealed, &prefix, batch, |id, value| {
            crate::statements::reseal(&keys.encryption, crate::db::decode::uuid(id)?, column, value)
        })
        .await?;
    }
    let pans = SealedColumn { table: "cards", id: "id", value: "pan_sealed" };
    let card_numbers = reseal_column(db, pans, &prefix, batch, |id, value| {
        crate::cards::secrets::reseal_pan(&keys.encryption, id, value)
    })
    .await?;
    Ok(RekeyReport {
        users: personal.users,
        emails,
        totp_secrets,
        document_keys,
        exports,
        webhook_secrets,
        statement_files,
        card_numbers,
        remaining: personal.remaining,
    })
}
