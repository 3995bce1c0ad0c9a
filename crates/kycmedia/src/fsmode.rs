//! Directories and files only kycmedia's own user may open. The database,
//! its lock and the media directory hold identity documents; what kycmedia
//! creates for them is created private (directories 0700, files 0600)
//! whatever the process's umask allows, and what already exists is left as
//! the operator made it.
//!
//! The store and the blobs layer both use this, so it belongs to neither.

use std::{
    fs::{DirBuilder, File, OpenOptions},
    io,
    os::unix::fs::{DirBuilderExt, OpenOptionsExt},
    path::Path,
};

/// Mode of every directory kycmedia creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file kycmedia creates.
pub const FILE_MODE: u32 = 0o600;

/// Creates `path` and any missing parents, each 0700. An existing directory
/// keeps its mode.
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    if path.as_os_str().is_empty() {
        return Ok(());
    }
    DirBuilder::new().recursive(true).mode(DIR_MODE).create(path)
}

/// Opens `path` for writing without truncating it, creating it 0600 when
/// missing. The parent directory must exist.
pub fn open_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(FILE_MODE)
        .open(path)
}

/// Makes sure `path` exists, creating its parents (0700) and the file
/// itself (0600, empty) when missing. An existing file is left untouched.
pub fn create_file(path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        create_dir_all(parent)?;
    }
    open_file(path).map(drop)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_directories_and_files_are_private_and_existing_ones_keep_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a/b/c.db");
        create_file(&file).unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&dir.path().join("a/b")), 0o700);
        assert_eq!(mode(&file), 0o600);

        std::fs::set_permissions(dir.path().join("a"), std::fs::Permissions::from_mode(0o750)).unwrap();
        std::fs::write(&file, b"kept").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        create_file(&file).unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o750);
        assert_eq!(mode(&file), 0o640);
        assert_eq!(std::fs::read(&file).unwrap(), b"kept");
    }
}
