//! The review console's calls over HTTP, as its page makes them: logins and
//! their limits, sessions and CSRF, what a reviewer may see, taking and
//! deciding a case through the path of `kycmedia decide`, media in ranges
//! and thumbnails, and the audit rows of all of it.

use std::time::Duration;

use kycmedia::{
    reviewers::{self, Role},
    store::AuditFilter,
};
use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::helpers::{Reply, Tenant, TestApp, fixture, spawn_app, spawn_app_with};

/// A browser's hold on the console: its session cookie and CSRF token.
pub struct Login {
    pub cookie: String,
    pub csrf: String,
}

/// Adds a reviewer of `tenants` (or an admin) and returns the one-time password.
pub async fn add_reviewer(app: &TestApp, name: &str, role: Role, tenants: &[&Tenant]) -> String {
    let store = app.core.store.as_ref();
    let mut ids = Vec::new();
    for tenant in tenants {
        let found = store.integration_by_key(&tenant.api_key).await.unwrap().unwrap();
        ids.push(found.integration.id);
    }
    let issued = reviewers::add(store, name, role, &ids).await.unwrap();
    issued.password.expose_secret().to_owned()
}

pub async fn login_reply(app: &TestApp, name: &str, password: &str) -> Reply {
    let body = json!({ "name": name, "password": password }).to_string().into_bytes();
    app.send(Method::POST, "/console/api/login", &[], Some(body)).await
}

/// The CSRF token the page's shell carries for this cookie.
async fn csrf_of(app: &TestApp, cookie: &str) -> String {
    let page = app.send(Method::GET, "/console", &[("cookie", cookie)], None).await;
    let html = String::from_utf8(page.body).unwrap();
    let at = html.find(r#"name="csrf-token" content=""#).expect("the csrf meta") + 27;
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

fn cookie_from(reply: &Reply) -> String {
    let set = reply.header("set-cookie").expect("a session cookie");
    set.split(';').next().unwrap().to_owned()
}

/// Logs in with the one-time password and replaces it, as the page makes a
/// new reviewer do.
pub async fn first_login(app: &TestApp, name: &str, one_time: &str) -> Login {
    let reply = login_reply(app, name, one_time).await;
    assert_eq!(reply.status, 204, "{}", String::from_utf8_lossy(&reply.body));
    let cookie = cookie_from(&reply);
    let csrf = csrf_of(app, &cookie).await;
    let chosen = json!({ "current": one_time, "new": "a long enough passphrase" });
    let reply = console_post(app, &Login { cookie, csrf }, "/console/api/password", chosen).await;
    assert_eq!(reply.status, 204, "{}", String::from_utf8_lossy(&reply.body));
    let cookie = cookie_from(&reply);
    let csrf = csrf_of(app, &cookie).await;
    Login { cookie, csrf }
}

pub async fn console_get(app: &TestApp, login: &Login, path: &str) -> Reply {
    app.send(Method::GET, path, &[("cookie", &login.cookie)], None).await
}

pub async fn console_post(app: &TestApp, login: &Login, path: &str, body: Value) -> Reply {
    let headers = [("cookie", login.cookie.as_str()), ("x-csrf-token", login.csrf.as_str())];
    app.send(Method::POST, path, &headers, Some(body.to_string().into_bytes()))
        .await
}

/// A submitted session of `tenant` with a sharp and a blurred selfie; its attempt id.
pub async fn submitted_case(app: &TestApp, tenant: &Tenant, vendor_data: &str) -> (String, String) {
    let session = app.create_session(tenant, json!({ "vendorData": vendor_data })).await;
    app.upload_ok(tenant, &session, "image", "face", &fixture("face-blurred.jpg"))
        .await;
    app.upload_ok(tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    assert_eq!(app.submit(tenant, &session).await.status, 200);
    let attempt = app.latest_attempt(tenant, &session).await;
    (session, attempt)
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String, i64)> {
    app.core.audit.flush().await;
    let mut rows = Vec::new();
    kycmedia::audit::list(app.core.store.as_ref(), &AuditFilter::default(), |r| {
        rows.push((r.actor, r.action, r.status));
    })
    .await
    .unwrap();
    rows
}

#[tokio::test]
async fn a_one_time_password_logs_in_only_to_be_replaced() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let password = add_reviewer(&app, "rita", Role::Reviewer, &[&tenant]).await;
    let reply = login_reply(&app, "rita", &password).await;
    assert_eq!(reply.status, 204);
    let set = reply.header("set-cookie").unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(set.contains(attribute), "{set}");
    }
    assert!(!set.contains("Secure"), "no Secure over plain http: {set}");
    let cookie = cookie_from(&reply);
    let login = Login {
        csrf: csrf_of(&app, &cookie).await,
        cookie,
    };
    console_get(&app, &login, "/console/api/queue")
        .await
        .assert_console_error(403, "password");
    let too_short = json!({ "current": password, "new": "short" });
    let reply = console_post(&app, &login, "/console/api/password", too_short).await;
    reply.assert_console_error(422, "invalid");
    let wrong = json!({ "current": "not it", "new": "a long enough passphrase" });
    console_post(&app, &login, "/console/api/password", wrong)
        .await
        .assert_console_error(401, "invalid");
    let login = first_login(&app, "rita", &password).await;
    assert_eq!(console_get(&app, &login, "/console/api/queue").await.status, 200);
    assert_eq!(
        login_reply(&app, "rita", &password).await.status,
        401,
        "the one-time password is spent"
    );
    assert_eq!(login_reply(&app, "rita", "a long enough passphrase").await.status, 204);
}

trait ConsoleError {
    fn assert_console_error(&self, status: u16, code: &str);
}

impl ConsoleError for Reply {
    fn assert_console_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", String::from_utf8_lossy(&self.body));
        assert_eq!(self.json()["error"], code);
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_name_are_refused_alike_and_audited() {
    let Some(app) = spawn_app().await else { return };
    let password = add_reviewer(&app, "rita", Role::Admin, &[]).await;
    let wrong = login_reply(&app, "rita", "guess").await;
    let nobody = login_reply(&app, "nobody", &password).await;
    assert_eq!((wrong.status, nobody.status), (401, 401));
    assert_eq!(wrong.body, nobody.body);
    assert!(wrong.header("set-cookie").is_none());
    let rows = audit_actions(&app).await;
    let failed: Vec<_> = rows
        .iter()
        .filter(|(_, a, s)| a == "POST /console/api/login" && *s == 401)
        .collect();
    assert_eq!(failed.len(), 2, "{rows:?}");
    assert!(failed.iter().all(|(actor, _, _)| actor == "reviewer"));
}

#[tokio::test]
async fn a_sixth_login_within_a_minute_for_one_name_waits() {
    let Some(app) = spawn_app().await else { return };
    add_reviewer(&app, "rita", Role::Admin, &[]).await;
    for _ in 0..kycmedia::admission::LOGINS_PER_NAME {
        assert_eq!(login_reply(&app, "rita", "guess").await.status, 401);
    }
    let refused = login_reply(&app, "rita", "guess").await;
    refused.assert_console_error(429, "busy");
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(login_reply(&app, "someone-else", "guess").await.status, 401);
}

#[tokio::test]
async fn a_reviewer_sees_only_the_cases_of_their_integrations_and_another_gets_404() {
    let Some(app) = spawn_app().await else { return };
    let (ours, theirs) = (app.tenant_named("Acme").await, app.tenant_named("Other").await);
    let (_, our_case) = submitted_case(&app, &ours, "ours-1").await;
    let (_, their_case) = submitted_case(&app, &theirs, "theirs-1").await;
    let password = add_reviewer(&app, "rita", Role::Reviewer, &[&ours]).await;
    let rita = first_login(&app, "rita", &password).await;
    let queue = console_get(&app, &rita, "/console/api/queue").await.json();
    let listed: Vec<&str> = queue["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["attemptId"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [our_case.as_str()]);
    assert_eq!(queue["integrations"].as_array().unwrap().len(), 1);
    assert!(
        !queue.to_string().contains(&ours.api_key),
        "no API key reaches the browser"
    );
    for path in [
        format!("/console/api/cases/{their_case}"),
        format!("/console/cases/{their_case}"),
    ] {
        assert_eq!(console_get(&app, &rita, &path).await.status, 404, "{path}");
    }
    let decide = json!({ "decision": "approved" });
    let reply = console_post(
        &app,
        &rita,
        &format!("/console/api/cases/{their_case}/decision"),
        decide,
    )
    .await;
    reply.assert_console_error(404, "not-found");
    let page = console_get(&app, &rita, &format!("/console/cases/{our_case}")).await;
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.contains(r#"data-page="case""#) && html.contains(&our_case));

    let admin = add_reviewer(&app, "ada", Role::Admin, &[]).await;
    let ada = first_login(&app, "ada", &admin).await;
    let queue = console_get(&app, &ada, "/console/api/queue").await.json();
    assert_eq!(
        queue["cases"].as_array().unwrap().len(),
        2,
        "an admin sees every integration"
    );
    let theirs_only = console_get(&app, &ada, "/console/api/queue?vendorData=their")
        .await
        .json();
    assert_eq!(theirs_only["cases"][0]["attemptId"], their_case.as_str());
    assert_eq!(theirs_only["cases"].as_array().unwrap().len(), 1);
    console_get(&app, &ada, "/console/api/queue?from=soon")
        .await
        .assert_console_error(422, "invalid");
}

#[tokio::test]
async fn the_case_lists_its_media_in_the_apis_order_with_their_analyses() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let (_, attempt) = submitted_case(&app, &tenant, "v").await;
    let password = add_reviewer(&app, "rita", Role::Reviewer, &[&tenant]).await;
    let rita = first_login(&app, "rita", &password).await;
    let case = console_get(&app, &rita, &format!("/console/api/cases/{attempt}"))
        .await
        .json();
    let api = app.attempt_media(&tenant, &attempt).await.json();
    let api_order: Vec<&Value> = api["images"].as_array().unwrap().iter().map(|m| &m["id"]).collect();
    let console_order: Vec<&Value> = case["media"].as_array().unwrap().iter().map(|m| &m["id"]).collect();
    assert_eq!(console_order, api_order);
    assert_eq!(case["media"][0]["rank"], 1);
    assert!(
        case["media"][0]["evidence"]["faces"]
            .as_array()
            .is_some_and(|f| !f.is_empty())
    );
    assert!(case["decidable"].as_bool().unwrap());
    assert!(!case.to_string().contains(&tenant.secret));
}

#[tokio::test]
async fn a_decision_in_the_console_is_the_decision_of_the_api_with_its_webhook_and_audit_rows() {
    let Some(app) = spawn_app_with(&["--webhook-allow-http", "--webhook-allow-private"]).await else {
        return;
    };
    let tenant = app.tenant().await;
    let receiver = crate::receiver::Receiver::start().await;
    let decisions = format!("{}/decisions", receiver.base);
    kycmedia::admin::set_webhooks(app.core.store.as_ref(), &tenant.api_key, Some(&decisions), None)
        .await
        .unwrap();
    let (session, attempt) = submitted_case(&app, &tenant, "v").await;
    let (_, second) = submitted_case(&app, &tenant, "w").await;
    let password = add_reviewer(&app, "rita", Role::Reviewer, &[&tenant]).await;
    let rita = first_login(&app, "rita", &password).await;
    let path = format!("/console/api/cases/{attempt}/decision");
    for (bad, field) in [
        (json!({ "decision": "expired" }), "decision"),
        (
            json!({ "decision": "approved", "comment": "x".repeat(2001) }),
            "comment",
        ),
        (json!({ "verdict": "approved" }), "body"),
    ] {
        let refused = console_post(&app, &rita, &path, bad).await;
        refused.assert_console_error(422, "invalid");
        assert_eq!(refused.json()["field"], field);
    }
    let bad = json!({ "decision": "declined", "reasonCode": 204 });
    console_post(&app, &rita, &path, bad)
        .await
        .assert_console_error(422, "invalid");
    let decline = json!({ "decision": "declined", "reasonCode": 103, "comment": "not the same person" });
    let reply = console_post(&app, &rita, &path, decline.clone()).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    assert_eq!(reply.json(), json!({ "status": "declined", "next": second }));
    let decided = app
        .signed(
            Method::GET,
            &tenant,
            &format!("/v1/sessions/{session}/decision"),
            &session,
        )
        .await
        .json();
    assert_eq!(decided["verification"]["status"], "declined");
    assert_eq!(decided["verification"]["reasonCode"], 103);
    assert_eq!(
        decided["verification"]["comments"],
        json!([]),
        "the comment stays inside"
    );
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].json()["verification"]["reasonCode"], 103);
    console_post(&app, &rita, &path, decline)
        .await
        .assert_console_error(409, "decided");
    let case = console_get(&app, &rita, &format!("/console/api/cases/{attempt}"))
        .await
        .json();
    assert_eq!(case["attempts"][0]["decision"]["by"], "rita");
    assert_eq!(case["attempts"][0]["decision"]["comment"], "not the same person");
    assert!(!case["decidable"].as_bool().unwrap());
    let rows = audit_actions(&app).await;
    for action in [
        "POST /console/api/cases/{attempt}/decision",
        "GET /console/api/cases/{attempt}",
        "POST /console/api/login",
    ] {
        assert!(
            rows.iter()
                .any(|(actor, a, s)| actor == "reviewer" && a == action && *s < 300),
            "{action} in {rows:?}"
        );
    }
}

#[tokio::test]
async fn a_case_one_reviewer_took_cannot_be_decided_by_another_until_they_or_an_admin_release_it() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let (_, attempt) = submitted_case(&app, &tenant, "v").await;
    let one = add_reviewer(&app, "one", Role::Reviewer, &[&tenant]).await;
    let two = add_reviewer(&app, "two", Role::Reviewer, &[&tenant]).await;
    let (one, two) = (
        first_login(&app, "one", &one).await,
        first_login(&app, "two", &two).await,
    );
    let assign = format!("/console/api/cases/{attempt}/assign");
    assert_eq!(
        console_post(&app, &one, &assign, json!({})).await.json()["assignee"],
        "one"
    );
    let taken = console_post(&app, &two, &assign, json!({})).await;
    taken.assert_console_error(409, "taken");
    assert_eq!(taken.json()["assignee"], "one");
    let decide = format!("/console/api/cases/{attempt}/decision");
    console_post(&app, &two, &decide, json!({ "decision": "approved" }))
        .await
        .assert_console_error(409, "taken");
    let queue = console_get(&app, &two, "/console/api/queue").await.json();
    assert_eq!(queue["cases"][0]["assignee"], "one");
    assert_eq!(queue["cases"][0]["assignedToMe"], false);
    let release = format!("/console/api/cases/{attempt}/release");
    assert_eq!(console_post(&app, &two, &release, json!({})).await.status, 200);
    let still = console_get(&app, &two, "/console/api/queue").await.json();
    assert_eq!(
        still["cases"][0]["assignee"], "one",
        "a reviewer releases only their own"
    );
    assert_eq!(console_post(&app, &one, &release, json!({})).await.status, 200);
    let reply = console_post(&app, &two, &decide, json!({ "decision": "review" })).await;
    assert_eq!(reply.json()["status"], "review");

    // Sent to review, two took it again on deciding; an admin frees it for one.
    console_post(&app, &two, &assign, json!({})).await;
    let admin = add_reviewer(&app, "ada", Role::Admin, &[]).await;
    let ada = first_login(&app, "ada", &admin).await;
    assert_eq!(console_post(&app, &ada, &release, json!({})).await.status, 200);
    let reply = console_post(&app, &one, &decide, json!({ "decision": "approved" })).await;
    assert_eq!(reply.json()["status"], "approved");
}

#[tokio::test]
async fn a_request_that_changes_state_needs_the_sessions_csrf_token_and_this_origin() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let (_, attempt) = submitted_case(&app, &tenant, "v").await;
    let password = add_reviewer(&app, "rita", Role::Reviewer, &[&tenant]).await;
    let rita = first_login(&app, "rita", &password).await;
    let path = format!("/console/api/cases/{attempt}/decision");
    let body = json!({ "decision": "approved" }).to_string().into_bytes();
    let without = app
        .send(Method::POST, &path, &[("cookie", &rita.cookie)], Some(body.clone()))
        .await;
    without.assert_console_error(403, "csrf");
    let forged = [
        ("cookie", rita.cookie.as_str()),
        ("x-csrf-token", rita.csrf.as_str()),
        ("origin", "http://evil.example"),
    ];
    app.send(Method::POST, &path, &forged, Some(body.clone()))
        .await
        .assert_console_error(403, "csrf");
    let cross_site = [
        ("cookie", rita.cookie.as_str()),
        ("x-csrf-token", rita.csrf.as_str()),
        ("sec-fetch-site", "cross-site"),
    ];
    app.send(Method::POST, &path, &cross_site, Some(body.clone()))
        .await
        .assert_console_error(403, "csrf");
    let from_elsewhere = [("origin", "http://evil.example")];
    let login = json!({ "name": "rita", "password": "a long enough passphrase" }).to_string();
    app.send(
        Method::POST,
        "/console/api/login",
        &from_elsewhere,
        Some(login.into_bytes()),
    )
    .await
    .assert_console_error(403, "csrf");
    let case = console_get(&app, &rita, &format!("/console/api/cases/{attempt}"))
        .await
        .json();
    assert!(case["decidable"].as_bool().unwrap(), "nothing was decided");
    let no_cookie = app.send(Method::GET, "/console/api/queue", &[], None).await;
    no_cookie.assert_console_error(401, "login");
}

#[tokio::test]
async fn a_session_ends_when_idle_and_when_the_reviewer_is_disabled() {
    let Some(app) = spawn_app_with(&["--console-idle-timeout", "1s"]).await else {
        return;
    };
    let password = add_reviewer(&app, "rita", Role::Admin, &[]).await;
    let rita = first_login(&app, "rita", &password).await;
    assert_eq!(console_get(&app, &rita, "/console/api/me").await.status, 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    console_get(&app, &rita, "/console/api/me")
        .await
        .assert_console_error(401, "login");
    let again = login_reply(&app, "rita", "a long enough passphrase").await;
    let cookie = cookie_from(&again);
    let me = app
        .send(Method::GET, "/console/api/me", &[("cookie", &cookie)], None)
        .await;
    assert_eq!(me.json()["name"], "rita");
    let store = app.core.store.as_ref();
    let found = store.reviews().reviewer_by_name("rita").await.unwrap().unwrap();
    store.reviews().disable_reviewer(&found.id).await.unwrap();
    let me = app
        .send(Method::GET, "/console/api/me", &[("cookie", &cookie)], None)
        .await;
    me.assert_console_error(401, "login");
    assert_eq!(login_reply(&app, "rita", "a long enough passphrase").await.status, 401);
}

#[tokio::test]
async fn an_admin_adds_a_reviewer_in_the_console_and_a_reviewer_cannot() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let integration = app
        .core
        .store
        .integration_by_key(&tenant.api_key)
        .await
        .unwrap()
        .unwrap()
        .integration
        .id;
    let admin = add_reviewer(&app, "ada", Role::Admin, &[]).await;
    let ada = first_login(&app, "ada", &admin).await;
    let new = json!({ "name": "bob", "role": "reviewer", "integrations": [integration] });
    let added = console_post(&app, &ada, "/console/api/reviewers", new.clone()).await;
    assert_eq!(added.status, 201, "{}", String::from_utf8_lossy(&added.body));
    let password = added.json()["password"].as_str().unwrap().to_owned();
    console_post(&app, &ada, "/console/api/reviewers", new)
        .await
        .assert_console_error(409, "exists");
    let bad = json!({ "name": "<b>", "role": "reviewer" });
    console_post(&app, &ada, "/console/api/reviewers", bad)
        .await
        .assert_console_error(422, "invalid");
    let bob = first_login(&app, "bob", &password).await;
    let me = console_get(&app, &bob, "/console/api/me").await.json();
    assert_eq!(me["integrations"][0]["id"], integration.as_str());
    console_get(&app, &bob, "/console/api/reviewers")
        .await
        .assert_console_error(403, "forbidden");
    assert_eq!(console_get(&app, &bob, "/console/reviewers").await.status, 404);
    let listed = console_get(&app, &ada, "/console/api/reviewers").await.json();
    assert_eq!(listed["reviewers"].as_array().unwrap().len(), 2);
    assert!(
        !listed.to_string().contains("argon2"),
        "no password hash reaches the browser"
    );
}

#[tokio::test]
async fn a_video_plays_in_ranges_and_an_image_has_a_thumbnail_and_preview_made_once_and_erased_with_it() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let video = fixture("selfid.webm");
    let video_id = app.upload_ok(&tenant, &session, "video", "selfid_video", &video).await;
    let image_id = app
        .upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    assert_eq!(app.submit(&tenant, &session).await.status, 200);
    let password = add_reviewer(&app, "rita", Role::Reviewer, &[&tenant]).await;
    let rita = first_login(&app, "rita", &password).await;
    let path = format!("/console/api/media/{video_id}");
    let whole = console_get(&app, &rita, &path).await;
    assert_eq!((whole.status, whole.body.as_slice()), (200, video.as_slice()));
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    let ranged = |range: &'static str| {
        let headers = [("cookie", rita.cookie.as_str()), ("range", range)];
        let path = path.clone();
        let app = &app;
        async move { app.send(Method::GET, &path, &headers, None).await }
    };
    let middle = ranged("bytes=100-70099").await;
    assert_eq!(middle.status, 206);
    assert_eq!(middle.body, &video[100..70_100]);
    let size = video.len();
    assert_eq!(
        middle.header("content-range"),
        Some(format!("bytes 100-70099/{size}").as_str())
    );
    let tail = ranged("bytes=-10").await;
    assert_eq!(tail.body, &video[size - 10..]);
    let past = ranged("bytes=99999999-").await;
    assert_eq!(past.status, 416);
    assert_eq!(past.header("content-range"), Some(format!("bytes */{size}").as_str()));
    assert_eq!(
        console_get(&app, &rita, &format!("{path}/thumbnail")).await.status,
        404,
        "a video has no thumbnail"
    );

    let before = app.stored_files().await;
    let thumb = format!("/console/api/media/{image_id}/thumbnail");
    let first = console_get(&app, &rita, &thumb).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-type"), Some("image/jpeg"));
    let shown = image::load_from_memory(&first.body).unwrap();
    assert!(shown.width().max(shown.height()) <= 320);
    assert_eq!(app.stored_files().await, before + 1, "stored once");
    let second = console_get(&app, &rita, &thumb).await;
    assert_eq!(second.body, first.body, "read back, not made again");
    assert_eq!(app.stored_files().await, before + 1);

    let preview = format!("/console/api/media/{image_id}/preview");
    let shown = console_get(&app, &rita, &preview).await;
    assert_eq!((shown.status, shown.header("content-type")), (200, Some("image/jpeg")));
    let decoded = image::load_from_memory(&shown.body).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (480, 480), "never enlarged");
    assert_eq!(app.stored_files().await, before + 2, "stored beside its thumbnail");
    assert_eq!(console_get(&app, &rita, &format!("{path}/preview")).await.status, 404);
    let session_path = format!("/v1/sessions/{session}");
    assert_eq!(
        app.signed(Method::DELETE, &tenant, &session_path, &session)
            .await
            .status,
        200
    );
    assert_eq!(
        app.stored_files().await,
        0,
        "the photos, thumbnails and previews go with their session"
    );
}

#[tokio::test]
async fn behind_https_the_session_cookie_is_secure_and_only_that_origin_may_post() {
    let Some(app) = spawn_app_with(&["--public-url", "https://review.example"]).await else {
        return;
    };
    let password = add_reviewer(&app, "rita", Role::Admin, &[]).await;
    let body = json!({ "name": "rita", "password": password }).to_string().into_bytes();
    let plain_origin = [("origin", "http://review.example")];
    app.send(Method::POST, "/console/api/login", &plain_origin, Some(body.clone()))
        .await
        .assert_console_error(403, "csrf");
    let own_origin = [("origin", "https://review.example")];
    let reply = app
        .send(Method::POST, "/console/api/login", &own_origin, Some(body))
        .await;
    assert_eq!(reply.status, 204);
    let set = reply.header("set-cookie").unwrap();
    assert!(set.contains("; Secure") && set.contains("HttpOnly"), "{set}");
}
