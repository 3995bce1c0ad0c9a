//! Interoperability with clients nobody here wrote: `tests/interop/curl-openssl.sh`
//! drives the real server with curl, signing with openssl and verifying every
//! response the same way (the README runs the same exchange in its first hour,
//! `readme.rs`).

use std::path::Path;

use crate::helpers::spawn_app;

#[tokio::test]
async fn curl_and_openssl_can_upload_read_every_get_endpoint_and_verify_each_answer() {
    let missing: Vec<_> = ["curl", "openssl", "python3", "base64"]
        .into_iter()
        .filter(|tool| {
            !std::process::Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    if !missing.is_empty() {
        assert!(
            !crate::services::required(),
            "KYCMEDIA_REQUIRE_SERVICES=1 but {missing:?} are not installed"
        );
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! SKIPPED: the curl/openssl interop test needs {missing:?}\n"
        );
        return;
    }
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tokio::process::Command::new("bash")
        .arg(root.join("tests/interop/curl-openssl.sh"))
        .env("BASE", &app.base)
        .env("KEY", &tenant.api_key)
        .env("SECRET", &tenant.secret)
        .env("FIXTURES", root.join("../../fixtures"))
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.lines().filter(|l| l.starts_with("ok: ")).count(), 11, "{stdout}");
}
