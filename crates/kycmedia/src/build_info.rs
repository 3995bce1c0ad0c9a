//! Which build this is: the crate's version and the commit `build.rs` found
//! (`unknown` outside a git checkout). `--version`, `doctor` and the
//! `kycmedia_build_info` metric all say the same.

/// The crate's version, e.g. `0.1.0`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The commit the binary was built from, 12 hex digits, or `unknown`.
pub const COMMIT: &str = env!("KYCMEDIA_GIT_COMMIT");
/// `0.1.0 (a1b2c3d4e5f6)`, as `--version` prints it.
pub const LONG_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("KYCMEDIA_GIT_COMMIT"), ")");
