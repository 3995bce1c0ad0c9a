//! `kycmedia doctor`: an installation checked before it is started, each
//! finding in words, failing only on what would stop `serve` or expose data.

use std::{os::unix::fs::PermissionsExt, path::Path};

/// Runs `kycmedia doctor` in `dir` with `args`; (success, stdout).
fn doctor(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut command = crate::helpers::binary();
    command
        .arg("doctor")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .current_dir(dir);
    for name in [
        "KYCMEDIA_CONFIG",
        "KYCMEDIA_DATABASE",
        "KYCMEDIA_STORAGE",
        "KYCMEDIA_PUBLIC_URL",
    ] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command.output().expect("the binary runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn line<'a>(report: &'a str, start: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting {start:?} in:\n{report}"))
}

#[test]
fn a_fresh_folder_is_fine_and_doctor_creates_nothing_there() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, report) = doctor(dir.path(), &[], &[]);
    assert!(ok, "{report}");
    assert!(line(&report, "WARN  database:").contains("does not exist yet; `serve` creates it (mode 0600)"));
    assert!(line(&report, "WARN  media directory:").contains("does not exist yet"));
    assert!(line(&report, "ok    listen:").contains("is free"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "doctor created something"
    );
}

#[test]
fn an_installation_serve_made_is_all_ok_with_its_migrations_applied() {
    let dir = tempfile::tempdir().unwrap();
    let created = crate::helpers::binary()
        .args(["integration", "create", "--name", "n"])
        .current_dir(dir.path())
        .env_remove("KYCMEDIA_DATABASE")
        .output()
        .unwrap();
    assert!(created.status.success());
    std::fs::create_dir(dir.path().join("data/media")).unwrap();
    std::fs::set_permissions(dir.path().join("data/media"), std::fs::Permissions::from_mode(0o700)).unwrap();
    let (ok, report) = doctor(dir.path(), &[], &[]);
    assert!(ok, "{report}");
    let migrations = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite"))
        .unwrap()
        .count();
    assert!(
        line(&report, "ok    database:").contains(&format!("{migrations} of {migrations} migrations applied")),
        "{report}"
    );
    assert!(line(&report, "ok    database file:").contains("(mode 0600)"));
    assert!(line(&report, "ok    storage:").contains("takes, returns and erases an object"));
    assert!(!report.contains("FAIL"), "{report}");
    assert_eq!(
        std::fs::read_dir(dir.path().join("data/media")).unwrap().count(),
        0,
        "the probe object was left behind"
    );
}

#[test]
fn a_database_file_other_users_can_read_fails_with_the_command_that_fixes_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let url = format!("sqlite://{}", db.display());
    let created = crate::helpers::binary()
        .args(["integration", "create", "--name", "n", "--database", &url])
        .output()
        .unwrap();
    assert!(created.status.success());
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (ok, report) = doctor(dir.path(), &["--database", &url], &[]);
    assert!(!ok, "{report}");
    let fail = line(&report, "FAIL  database file:");
    assert!(
        fail.contains("(mode 0644)") && fail.contains(&format!("chmod 600 {}", db.display())),
        "{fail}"
    );
}

#[test]
fn an_unreachable_database_fails_without_showing_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let url = "postgres://kycmedia:hunter2-secret@127.0.0.1:1/kycmedia";
    let (ok, report) = doctor(dir.path(), &["--database", url], &[]);
    assert!(!ok);
    assert!(
        line(&report, "FAIL  database:").contains("cannot connect to postgres://kycmedia:***@127.0.0.1:1/kycmedia"),
        "{report}"
    );
    assert!(!report.contains("hunter2"), "{report}");
}

#[test]
fn the_settings_in_force_show_where_each_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kycmedia.toml");
    std::fs::write(
        &config,
        "public_url = \"https://media.example.com\"\nmax_pixels = 5000\nrequest_timeout_secs = 9\n",
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (_, report) = doctor(
        dir.path(),
        &["--config", config.to_str().unwrap(), "--max-pixels", "7000"],
        &[("KYCMEDIA_REQUEST_TIMEOUT_SECS", "11")],
    );
    assert!(
        report.contains("setting public_url = https://media.example.com (configuration file)"),
        "{report}"
    );
    assert!(report.contains("setting max_pixels = 7000 (flag)"), "{report}");
    assert!(
        report.contains("setting request_timeout_secs = 11 (environment)"),
        "{report}"
    );
    assert!(report.contains("setting sweep_grace_secs = 3600 (default)"), "{report}");
    assert!(
        line(&report, "WARN  configuration:").contains("is readable or writable by other users (mode 0644)"),
        "{report}"
    );
}

#[test]
fn the_example_configuration_is_accepted_and_names_every_setting() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/kycmedia.toml");
    let text = std::fs::read_to_string(&example).expect("deploy/kycmedia.toml");
    let definition = kycmedia::cli::definition();
    for key in kycmedia::config_file::known_keys(&definition) {
        assert!(
            text.lines()
                .any(|l| l.trim_start_matches(['#', ' ']).starts_with(&format!("{key} ="))),
            "deploy/kycmedia.toml does not document `{key}`"
        );
    }
    let file = kycmedia::config_file::load(&example).expect("the example parses");
    kycmedia::config_file::apply(definition, &file).expect("every key of the example is known");
}

#[test]
fn storage_that_cannot_hold_objects_fails_and_a_busy_listen_address_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where the media directory should be.
    let not_a_dir = dir.path().join("media");
    std::fs::write(&not_a_dir, b"x").unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = busy.local_addr().unwrap().to_string();
    let storage = format!("file://{}", not_a_dir.display());
    let out = crate::helpers::binary()
        .args(["doctor", "--storage", &storage, "--listen", &address])
        .current_dir(dir.path())
        .env_remove("KYCMEDIA_CONFIG")
        .env_remove("KYCMEDIA_DATABASE")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{report}");
    assert!(
        line(&report, "FAIL  media directory:").contains("is not a directory"),
        "{report}"
    );
    assert!(line(&report, "FAIL  storage:").contains(&storage), "{report}");
    assert!(
        line(&report, "WARN  listen:").contains(&format!("{address} is in use")),
        "{report}"
    );
}
