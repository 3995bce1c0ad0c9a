//! The `kycmedia` binary itself: commands, their JSON output, the demo.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

use kycmedia_proto::signing::{Scheme, sign};
use serde_json::Value;

fn kycmedia(args: &[&str]) -> (bool, Value, String) {
    let out = crate::helpers::binary().args(args).output().expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let value = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    (
        out.status.success(),
        value,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn integration_commands_print_json_and_refuse_to_revoke_the_last_secret() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    let (ok, created, _) = kycmedia(&["integration", "create", "--name", "acme", "--database", &db]);
    assert!(ok);
    let key = created["apiKey"].as_str().unwrap();
    let first = created["sharedSecret"].as_str().unwrap();
    assert_eq!(created["name"], "acme");
    assert!(created["id"].is_string());

    let (ok, last, stderr) = kycmedia(&["integration", "revoke-secret", key, first, "--database", &db]);
    assert!(!ok && last.is_null());
    assert!(stderr.contains("last shared secret"), "{stderr}");
    assert!(!stderr.contains(first), "a secret reached the log");

    let (ok, added, _) = kycmedia(&["integration", "add-secret", key, "--database", &db]);
    assert!(ok && added["sharedSecret"].is_string());
    let (ok, _, _) = kycmedia(&["integration", "revoke-secret", key, first, "--database", &db]);
    assert!(ok);

    let (ok, list, _) = kycmedia(&["integration", "list", "--database", &db]);
    assert!(ok);
    assert_eq!(list[0]["secrets"], 1);
    assert!(!list.to_string().contains(added["sharedSecret"].as_str().unwrap()));

    let (ok, disabled, _) = kycmedia(&["integration", "disable", key, "--database", &db]);
    assert!(ok && disabled["active"] == false);
}

#[test]
fn reviewer_commands_print_a_one_time_password_once_and_never_a_hash() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    let (_, created, _) = kycmedia(&["integration", "create", "--name", "acme", "--database", &db]);
    let key = created["apiKey"].as_str().unwrap();
    let (ok, added, _) = kycmedia(&["reviewer", "add", "rita", "--integration", key, "--database", &db]);
    assert!(ok);
    let password = added["password"].as_str().unwrap().to_owned();
    assert_eq!(password.len(), 20);
    assert_eq!(
        (&added["role"], &added["integrations"][0]),
        (&Value::from("reviewer"), &Value::from(key))
    );
    let (ok, _, stderr) = kycmedia(&["reviewer", "add", "rita", "--database", &db]);
    assert!(!ok && stderr.contains("exists"), "{stderr}");
    let (ok, _, stderr) = kycmedia(&["reviewer", "add", "ursula", "--integration", "nope", "--database", &db]);
    assert!(!ok && stderr.contains("no integration has the API key"), "{stderr}");
    let (ok, _, _) = kycmedia(&["reviewer", "add", "ada", "--role", "admin", "--database", &db]);
    assert!(ok);

    let (ok, reset, _) = kycmedia(&["reviewer", "reset-password", "rita", "--database", &db]);
    assert!(
        ok && reset["password"]
            .as_str()
            .is_some_and(|p| p.len() == 20 && p != password)
    );
    let (ok, disabled, _) = kycmedia(&["reviewer", "disable", "rita", "--database", &db]);
    assert!(ok && disabled["active"] == false);
    let (ok, _, stderr) = kycmedia(&["reviewer", "disable", "nobody", "--database", &db]);
    assert!(!ok && stderr.contains("no reviewer is named"), "{stderr}");

    let (ok, list, _) = kycmedia(&["reviewer", "list", "--database", &db]);
    assert!(ok);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ada", "rita"]);
    assert_eq!(list[1]["active"], false);
    assert_eq!(list[1]["integrations"][0], key);
    assert_eq!(list[0]["role"], "admin");
    let text = list.to_string();
    assert!(!text.contains("argon2") && !text.contains(&password), "{text}");
}

#[test]
fn commands_on_an_unknown_key_or_session_fail_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    let unknown = "a1c68aea-7f4d-478d-80ab-ca9356074f69";
    for args in [
        vec!["integration", "add-secret", unknown],
        vec!["integration", "disable", unknown],
        vec!["integration", "revoke-secret", unknown, "some-secret"],
        vec!["decide", unknown, "approved"],
    ] {
        let mut args = args.clone();
        args.extend(["--database", &db]);
        let (ok, out, stderr) = kycmedia(&args);
        assert!(!ok && out.is_null(), "{args:?}");
        assert!(stderr.contains("not found"), "{args:?}: {stderr}");
    }
    let (ok, _, stderr) = kycmedia(&["decide", unknown, "maybe", "--database", &db]);
    assert!(!ok && stderr.contains("invalid value"), "{stderr}");
}

#[test]
fn every_flag_is_also_read_from_its_environment_variable() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("env.db").display());
    let out = crate::helpers::binary()
        .args(["integration", "create", "--name", "env"])
        .env("KYCMEDIA_DATABASE", &db)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(dir.path().join("env.db").exists());
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["decide", "--help"],
        vec!["sweep", "--help"],
        vec!["migrate-db", "--help"],
        vec!["migrate-store", "--help"],
        vec!["api", "--help"],
        vec!["api", "upload", "--help"],
        vec!["sign", "--help"],
        vec!["integration", "--help"],
        vec!["integration", "create", "--help"],
        vec!["integration", "add-secret", "--help"],
        vec!["integration", "revoke-secret", "--help"],
        vec!["integration", "list", "--help"],
        vec!["integration", "disable", "--help"],
    ] {
        let out = crate::helpers::binary().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage"), "{args:?}");
    }
}

#[tokio::test]
async fn the_demo_prints_credentials_first_and_serves_the_three_seed_attempts() {
    let mut child = crate::helpers::binary()
        .args(["demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).expect("the first line is JSON");
    let base = first["baseUrl"].as_str().unwrap();
    let key = first["apiKey"].as_str().unwrap();
    let secret = first["sharedSecret"].as_str().unwrap();
    let client = reqwest::Client::new();
    let mut counts = Vec::new();
    for name in ["standard_attempt_with_images", "attempt_with_video", "attempt_no_media"] {
        let id = first["attempts"][name].as_str().unwrap();
        let reply = client
            .get(format!("{base}/v1/attempts/{id}/media"))
            .header("X-AUTH-CLIENT", key)
            .header("X-HMAC-SIGNATURE", sign(Scheme::Hmac, secret.as_bytes(), id.as_bytes()))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        let body: Value = reply.json().await.unwrap();
        counts.push((
            body["images"].as_array().unwrap().len(),
            body["videos"].as_array().unwrap().len(),
        ));
    }
    assert_eq!(counts, [(3, 0), (0, 1), (0, 0)]);

    // The demo says where its database is, so that a decision can be made on it.
    let database = first["database"].as_str().expect("the demo names its database");
    let session = first["sessions"]["standard_attempt_with_images"].as_str().unwrap();
    let (ok, decided, stderr) = kycmedia(&["decide", "--database", database, session, "approved"]);
    assert!(ok, "{stderr}");
    assert_eq!(decided["status"], "approved");
    let banner: Vec<String> = lines.by_ref().take(16).map(|l| l.unwrap()).collect();
    assert!(
        banner
            .iter()
            .any(|l| l.contains(&format!("kycmedia decide --database {database} {session} approved"))),
        "the banner shows how to decide: {banner:#?}"
    );
    let curl = banner
        .iter()
        .find(|l| l.contains("curl"))
        .expect("the banner shows a curl command");
    let attempt = first["attempts"]["standard_attempt_with_images"].as_str().unwrap();
    let signature = sign(Scheme::Hmac, secret.as_bytes(), attempt.as_bytes());
    assert!(curl.contains(&format!("X-HMAC-SIGNATURE: {signature}")), "{curl}");
    assert!(curl.contains(&format!("{base}/v1/attempts/{attempt}/media")), "{curl}");

    // SIGTERM drains and exits cleanly; the log never held the secret.
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!log.contains(secret), "the secret reached the log");
}

/// `kycmedia analyze` output: one parsed JSON value per stdout line.
fn analyze(args: &[&str]) -> (bool, Vec<Value>, String) {
    let out = crate::helpers::binary()
        .arg("analyze")
        .args(args)
        .output()
        .expect("the binary runs");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
        .collect();
    (
        out.status.success(),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fixture_path(name: &str) -> String {
    format!("{}/../../fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn analyze_prints_one_json_line_per_file_with_the_full_analysis() {
    let (face, card) = (fixture_path("face.jpg"), fixture_path("document-front.jpg"));
    let (ok, lines, stderr) = analyze(&["--context", "face", &face, &card]);
    assert!(ok, "{stderr}");
    assert_eq!(lines.len(), 2);
    let selfie = &lines[0];
    assert_eq!(selfie["file"], face.as_str());
    assert_eq!(
        (selfie["mimetype"].as_str(), selfie["width"].as_u64()),
        (Some("image/jpeg"), Some(480))
    );
    assert_eq!(selfie["matches"], true);
    for key in ["accuracy", "quality", "score"] {
        assert!(
            selfie[key].as_f64().is_some_and(|v| (0.0..=1.0).contains(&v)),
            "{key}: {selfie}"
        );
    }
    assert_eq!(selfie["evidence"]["faces"].as_array().map(Vec::len), Some(1));
    assert_eq!(lines[1]["matches"], false, "a card's portrait is not a selfie");
}

#[test]
fn analyze_reports_a_bad_file_on_its_own_line_and_fails_overall() {
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("cut.jpg");
    let bytes = std::fs::read(fixture_path("face.jpg")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let truncated = truncated.display().to_string();
    let face = fixture_path("face.jpg");
    let (ok, lines, stderr) = analyze(&["--context", "face", &truncated, &face]);
    assert!(!ok);
    assert!(
        lines[0]["error"].as_str().is_some_and(|e| e.contains("truncated")),
        "{lines:?}"
    );
    assert_eq!(lines[1]["matches"], true, "the next file is still analysed");
    assert!(stderr.contains("could not be analysed"), "{stderr}");
    let (ok, lines, stderr) = analyze(&["--context", "selfie", &face]);
    assert!(!ok && lines.is_empty());
    assert!(stderr.contains("unknown context"), "{stderr}");
}

#[test]
fn a_database_password_never_reaches_an_error_message() {
    let url = "postgres://kycmedia:hunter2-secret@127.0.0.1:1/kycmedia";
    let (ok, _, stderr) = kycmedia(&["integration", "list", "--database", url]);
    assert!(!ok);
    assert!(
        stderr.contains("opening database postgres://kycmedia:***@127.0.0.1:1/kycmedia"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn migrate_db_refuses_a_sqlite_database_a_server_is_serving() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    let mut server = crate::helpers::binary()
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &db])
        .args(["--storage", &format!("file://{}", dir.path().join("media").display())])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let serving = BufReader::new(server.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("serving"));
    assert!(serving);
    let other = format!("sqlite://{}", dir.path().join("other.db").display());
    let (ok, _, stderr) = kycmedia(&["migrate-db", "--from", &db, "--to", &other]);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(!ok);
    assert!(
        stderr.contains("another kycmedia server is serving this database"),
        "{stderr}"
    );
}

#[test]
fn sign_prints_what_openssl_computes_for_an_argument_and_for_stdin_bytes() {
    let secret = "a shared secret";
    let (ok, _, _) = kycmedia(&["sign", "--secret", secret, "--help"]);
    assert!(ok);
    let out = crate::helpers::binary()
        .args(["sign", "f04bdb47-d3be-4b28-b028-a652feb060b5"])
        .env("KYCMEDIA_SHARED_SECRET", secret)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        sign(Scheme::Hmac, secret.as_bytes(), b"f04bdb47-d3be-4b28-b028-a652feb060b5")
    );
    // A body is signed exactly as sent: a trailing newline is part of it.
    let body = b"{\"verification\":{}}\n";
    let mut child = crate::helpers::binary()
        .args(["sign", "--secret", secret, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        sign(Scheme::Hmac, secret.as_bytes(), body)
    );
}
