//! The data folder holds the SQLite database, the generated keys, stored documents, exports and
//! mail files carrying live tokens: nobody but the service's own user may read any of it. At
//! start the process mask is set so every file it creates is `0600` and every folder `0700`,
//! and an existing data folder is narrowed to `0700`.

use std::io;
use std::path::Path;

/// Files this process creates from now on are readable and writable by its user only.
pub fn restrict_new_files() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// Narrows an existing data folder to its owner (`0700`); one created later gets that mode from
/// the mask. A folder that does not exist yet is left to whoever needs it first.
pub fn protect_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if dir.is_dir() {
            let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
            }
        }
    }
    Ok(())
}
