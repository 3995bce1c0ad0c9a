//! `sqlx::migrate!` embeds the migration files at compile time; without this,
//! cargo would not notice a new file and would keep the old set.
//!
//! `--version` names the commit the binary was built from
//! (`KYCMEDIA_GIT_COMMIT`), or `unknown` outside a git checkout.
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    (output.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=KYCMEDIA_GIT_COMMIT={commit}");
    // Rebuilt when HEAD moves: a commit, a checkout, a reset.
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        println!("cargo:rerun-if-changed={head}");
    }
    if let Some(name) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(reference) = git(&["rev-parse", "--git-path", &name]) {
            println!("cargo:rerun-if-changed={reference}");
        }
        // Only a file that exists: cargo reruns a build script on every
        // build while one of its watched paths is missing, and a checkout
        // whose refs were never packed has no `packed-refs`.
        if let Some(packed) = git(&["rev-parse", "--git-path", "packed-refs"])
            && std::path::Path::new(&packed).exists()
        {
            println!("cargo:rerun-if-changed={packed}");
        }
    }
}
