//! `kycmedia api …`: the binary as an API client of a real server, through
//! the SDK: every command's output is the API's body as sent, verified.

use std::path::Path;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{Tenant, TestApp, fixture, spawn_app};

/// Runs `kycmedia api ARGS` against the app as the tenant; (success, stdout, stderr).
async fn api(app: &TestApp, tenant: &Tenant, args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_kycmedia"))
        .arg("api")
        .args(args)
        .env("KYCMEDIA_BASE_URL", &app.base)
        .env("KYCMEDIA_API_KEY", &tenant.api_key)
        .env("KYCMEDIA_SHARED_SECRET", &tenant.secret)
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn api_json(app: &TestApp, tenant: &Tenant, args: &[&str]) -> Value {
    let (ok, stdout, stderr) = api(app, tenant, args).await;
    assert!(ok, "{args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {stdout}"))
}

#[tokio::test]
async fn every_api_command_works_against_a_real_server_and_prints_the_body_as_sent() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let created = api_json(&app, &tenant, &["create-session", "--vendor-data", "case-7"]).await;
    assert_eq!(created["status"], "success");
    assert_eq!(created["verification"]["vendorData"], "case-7");
    let session = created["verification"]["id"].as_str().unwrap().to_owned();

    let face = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/face.jpg");
    let face = face.to_str().unwrap();
    let uploaded = api_json(
        &app,
        &tenant,
        &["upload", "--session", &session, "--context", "face", face],
    )
    .await;
    let media = uploaded["image"]["id"].as_str().unwrap().to_owned();
    let video = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/selfid.mp4");
    let uploaded = api_json(
        &app,
        &tenant,
        &[
            "upload",
            "--session",
            &session,
            "--context",
            "selfid_video",
            video.to_str().unwrap(),
        ],
    )
    .await;
    assert!(uploaded["video"]["id"].is_string(), "{uploaded}");

    let submitted = api_json(&app, &tenant, &["submit", &session]).await;
    assert_eq!(submitted["verification"]["status"], "submitted");
    let attempts = api_json(&app, &tenant, &["attempts", &session]).await;
    let attempt = attempts["verifications"][0]["id"].as_str().unwrap().to_owned();

    // Exactly the bytes a direct signed request gets, plus a newline.
    let (ok, printed, _) = api(&app, &tenant, &["attempt-media", &attempt]).await;
    assert!(ok);
    let direct = app.attempt_media(&tenant, &attempt).await;
    assert_eq!(printed.trim_end().as_bytes(), direct.body.as_slice());
    let listed = api_json(&app, &tenant, &["session-media", &session]).await;
    assert_eq!(listed["images"][0]["id"], media.as_str());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("face.jpg");
    let summary = api_json(&app, &tenant, &["download", &media, "-o", file.to_str().unwrap()]).await;
    assert_eq!(summary["mimetype"], "image/jpeg");
    assert_eq!(std::fs::read(&file).unwrap(), fixture("face.jpg"));

    let deleted = api_json(&app, &tenant, &["delete-session", &session]).await;
    assert_eq!(deleted["status"], "success");
    let reply = app
        .signed(
            Method::GET,
            &tenant,
            &format!("/v1/sessions/{session}/attempts"),
            &session,
        )
        .await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn a_failed_call_exits_non_zero_with_the_apis_status_code_and_message() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let unknown = "a1c68aea-7f4d-478d-80ab-ca9356074f69";
    let (ok, stdout, stderr) = api(&app, &tenant, &["attempt-media", unknown]).await;
    assert!(!ok && stdout.is_empty());
    assert!(stderr.contains("404") && stderr.contains("1101"), "{stderr}");

    let wrong = Tenant {
        api_key: tenant.api_key.clone(),
        secret: "not-the-secret".to_owned(),
    };
    let (ok, _, stderr) = api(&app, &wrong, &["attempts", unknown]).await;
    assert!(!ok);
    assert!(stderr.contains("401"), "{stderr}");
    assert!(
        !stderr.contains("not-the-secret"),
        "a secret reached the output: {stderr}"
    );

    // Nothing is left under the asked name when a download fails.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nothing.jpg");
    let (ok, _, _) = api(&app, &tenant, &["download", unknown, "-o", file.to_str().unwrap()]).await;
    assert!(!ok);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn connection_flags_work_before_and_after_the_subcommand() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let flags = [
        "--base-url",
        app.base.as_str(),
        "--api-key",
        tenant.api_key.as_str(),
        "--shared-secret",
        tenant.secret.as_str(),
    ];
    let before = tokio::process::Command::new(env!("CARGO_BIN_EXE_kycmedia"))
        .arg("api")
        .args(flags)
        .arg("create-session")
        .output()
        .await
        .unwrap();
    assert!(before.status.success(), "{}", String::from_utf8_lossy(&before.stderr));
    let after = tokio::process::Command::new(env!("CARGO_BIN_EXE_kycmedia"))
        .args(["api", "create-session"])
        .args(flags)
        .output()
        .await
        .unwrap();
    assert!(after.status.success(), "{}", String::from_utf8_lossy(&after.stderr));

    let missing = tokio::process::Command::new(env!("CARGO_BIN_EXE_kycmedia"))
        .args(["api", "create-session", "--api-key", &tenant.api_key])
        .env_remove("KYCMEDIA_BASE_URL")
        .output()
        .await
        .unwrap();
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("no base-url: pass --base-url or set KYCMEDIA_BASE_URL"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_refused_upload_prints_the_reason_and_the_request_id_and_a_missing_file_is_named_once() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let created = api_json(&app, &tenant, &["create-session"]).await;
    let session = created["verification"]["id"].as_str().unwrap().to_owned();
    let face = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/face.jpg");
    let upload = |context: &'static str, file: String| {
        let (app, tenant, session) = (&app, &tenant, &session);
        async move {
            let args = ["upload", "--session", session.as_str(), "--context", context, &file];
            let (ok, _, stderr) = api(app, tenant, &args).await;
            assert!(!ok, "{context} {file} was accepted");
            stderr
        }
    };
    let face = face.to_str().unwrap().to_owned();
    let stderr = upload("selfid_video", face.clone()).await;
    let expected = "API error 400 1104: Request includes invalid parameters. \
                    (image/jpeg does not suit context selfid_video) [request id ";
    assert!(stderr.contains(expected), "{stderr}");
    let stderr = upload("bogus", face).await;
    assert!(
        stderr.contains(r#"unknown image context "bogus"; valid: address-front, "#),
        "{stderr}"
    );
    let stderr = upload("face", "no/such.jpg".to_owned()).await;
    assert_eq!(
        stderr.matches("No such file").count(),
        1,
        "the cause is told once: {stderr}"
    );
    assert!(stderr.contains("reading no/such.jpg: "), "{stderr}");
}
