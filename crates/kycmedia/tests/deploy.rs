//! The systemd unit in `deploy/` is one systemd accepts: `systemd-analyze
//! verify` (Debian's `systemd` package) finds nothing to say about it.
//!
//! verify checks that `ExecStart`'s program exists, so it runs on a copy
//! whose program is the binary cargo just built. It exits 0 after a
//! misspelled directive or a value it cannot parse ("…, ignoring"), so the
//! test reads its output: any line about our unit is a failure. Lines about
//! other units (the system's own, pulled in by `After=`) are printed and
//! ignored. Without `systemd-analyze` the tests pass after a loud message,
//! unless `KYCMEDIA_REQUIRE_SERVICES=1` makes that a failure.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
    process,
};

use clap::Parser;
use kycmedia::cli::{Cli, Command};

const INSTALLED_BINARY: &str = "/usr/local/bin/kycmedia";

fn systemd_analyze() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/bin")])
        .map(|dir| dir.join("systemd-analyze"))
        .find(|program| program.is_file());
    if found.is_none() {
        let required = std::env::var("KYCMEDIA_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "KYCMEDIA_REQUIRE_SERVICES=1 but systemd-analyze is not installed (Debian's `systemd` package)"
        );
        // Written to the stderr handle, not through eprintln!, which the
        // test harness would capture and hide.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! SKIPPED: the systemd unit was not verified: systemd-analyze is not installed.\n\
             !!! Install Debian's `systemd`, or set KYCMEDIA_REQUIRE_SERVICES=1 to make this a failure.\n"
        );
    }
    found
}

/// The shipped unit, as text.
fn shipped_unit() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/kycmedia.service");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What `systemd-analyze verify` says about `unit` (installed under the
/// name `kycmedia.service`, its program replaced by the built binary):
/// the lines about it. `None` when systemd-analyze is missing.
fn complaints(unit: &str) -> Option<Vec<String>> {
    let program = systemd_analyze()?;
    assert!(
        unit.contains(&format!("ExecStart={INSTALLED_BINARY} ")),
        "the unit starts {INSTALLED_BINARY}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kycmedia.service");
    std::fs::write(&path, unit.replace(INSTALLED_BINARY, env!("CARGO_BIN_EXE_kycmedia"))).unwrap();
    let out = process::Command::new(program)
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let (ours, others): (Vec<&str>, Vec<&str>) = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .partition(|line| line.contains("kycmedia.service"));
    for line in others {
        let _ = writeln!(std::io::stderr(), "systemd-analyze (another unit, ignored): {line}");
    }
    Some(ours.into_iter().map(str::to_owned).collect())
}

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() {
    let Some(complaints) = complaints(&shipped_unit()) else {
        return;
    };
    assert!(
        complaints.is_empty(),
        "systemd-analyze verify:\n{}",
        complaints.join("\n")
    );
}

#[test]
fn a_misspelled_directive_or_a_bad_value_fails_the_check() {
    let unit = shipped_unit();
    for (good, bad) in [("ProtectHome=yes", "ProtectHomme=yes"), ("UMask=0077", "UMask=banana")] {
        assert!(unit.contains(good), "the unit sets {good}");
        let Some(complaints) = complaints(&unit.replace(good, bad)) else {
            return;
        };
        assert!(!complaints.is_empty(), "{bad} went unnoticed");
    }
}

#[test]
fn the_unit_waits_for_requests_in_flight_longer_than_the_request_timeout() {
    let unit = shipped_unit();
    let stop: u64 = unit
        .lines()
        .find_map(|line| line.strip_prefix("TimeoutStopSec="))
        .expect("TimeoutStopSec is set")
        .trim()
        .parse()
        .expect("TimeoutStopSec in seconds");
    let Command::Serve(serve) = Cli::parse_from(["kycmedia", "serve"]).command else {
        unreachable!("parsed a serve command")
    };
    let timeout = serve.limits.request_timeout_secs;
    assert!(
        stop > timeout,
        "TimeoutStopSec={stop} but a request may take {timeout} s"
    );
}
