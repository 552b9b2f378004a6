//! Writing a file that is already in memory (the scanner's cleaned copy) through the same chunk
//! encryption as uploads.

use super::blob::DocumentStore;
use super::chunks::Sealer;
use super::cipher::{CHUNK, DataKey};

pub async fn store_sealed(
    store: &dyn DocumentStore,
    blob_key: &str,
    key: &DataKey,
    aad: Vec<u8>,
    plain: &[u8],
) -> anyhow::Result<()> {
    let (mut sealer, header) = Sealer::new(key, aad);
    let mut writer = store.create(blob_key).await?;
    writer.write(&header).await?;
    let mut out = Vec::new();
    for chunk in plain.chunks(CHUNK) {
        sealer.push(chunk, &mut out)?;
        writer.write(&out).await?;
        out.clear();
    }
    sealer.finish(&mut out)?;
    writer.write(&out).await?;
    writer.commit().await?;
    Ok(())
}
