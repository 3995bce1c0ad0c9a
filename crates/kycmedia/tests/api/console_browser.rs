//! The review console in a real Chromium: an admin adds a reviewer, who
//! logs in, sees only their integration's queue, opens a case whose sharp
//! selfie is listed before its blurred copy with the face box drawn, and
//! approves it with a keystroke; the decision endpoint, the webhook and the
//! audit trail then say so. A reviewer of another integration gets a 404 for
//! the same case, and a forged cross-site form decides nothing.
//!
//! `KYCMEDIA_SCREENSHOTS_DIR=docs/console cargo test --test api console_browser`
//! redraws the screenshots in `docs/console/`.

use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use kycmedia::reviewers::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    browser::Browser,
    console::{add_reviewer, submitted_case},
    helpers::{TestApp, fixture, spawn_app_with},
    receiver::Receiver,
};

/// The smallest laptop screen the case view is made for.
const LAPTOP: (u32, u32) = (1366, 768);
const CHOSEN: &str = "a long enough passphrase";

async fn fill(browser: &Browser, css: &str, text: &str) {
    let field = browser.element(css).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(browser: &Browser, css: &str) {
    browser.element(css).await.click().await.unwrap();
}

/// Logs in at `/console` and, when the page asks, replaces the password.
async fn log_in(browser: &Browser, app: &TestApp, name: &str, password: &str) {
    browser.client.goto(&format!("{}/console", app.base)).await.unwrap();
    fill(browser, "#login-name", name).await;
    fill(browser, "#login-password", password).await;
    click(browser, "#login-submit").await;
    if password != CHOSEN {
        fill(browser, "#current-password", password).await;
        fill(browser, "#new-password", CHOSEN).await;
        fill(browser, "#new-password-again", CHOSEN).await;
        click(browser, "#password-submit").await;
    }
    browser.element("button[data-action=logout], #logout").await;
}

async fn log_out(browser: &Browser) {
    click(browser, "button[data-action=logout], #logout").await;
    browser.element("#login-name").await;
}

/// Presses one key with nothing focused but the page.
async fn press(browser: &Browser, key: char) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    browser.client.perform_actions(keys).await.unwrap();
}

/// What `fetch` of `path` answers in the browser, with its cookies.
async fn status_in_browser(browser: &Browser, path: &str) -> u64 {
    let script = "const done = arguments[1]; fetch(arguments[0]).then(r => done(r.status));";
    let answer = browser.client.execute_async(script, vec![json!(path)]).await.unwrap();
    answer.as_u64().unwrap()
}

/// A submitted session of `tenant` with a document's two sides, a blurred
/// selfie and then a sharp one; the session, the attempt, the sharp and
/// the blurred selfie's ids.
async fn document_and_selfies(
    app: &TestApp,
    tenant: &crate::helpers::Tenant,
    vendor_data: &str,
) -> (String, String, String, String) {
    let session = app.create_session(tenant, json!({ "vendorData": vendor_data })).await;
    app.upload_ok(
        tenant,
        &session,
        "image",
        "document-front",
        &fixture("document-front.jpg"),
    )
    .await;
    app.upload_ok(
        tenant,
        &session,
        "image",
        "document-back",
        &fixture("document-back.jpg"),
    )
    .await;
    let blurred = app
        .upload_ok(tenant, &session, "image", "face", &fixture("face-blurred.jpg"))
        .await;
    let sharp = app
        .upload_ok(tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    assert_eq!(app.submit(tenant, &session).await.status, 200);
    let attempt = app.latest_attempt(tenant, &session).await;
    (session, attempt, sharp, blurred)
}

/// The session's decision object, as the integrator fetches it.
async fn decision_of(app: &TestApp, tenant: &crate::helpers::Tenant, session: &str) -> Value {
    let path = format!("/v1/sessions/{session}/decision");
    app.signed(Method::GET, tenant, &path, session).await.json()["verification"].clone()
}

/// A page of another origin that posts a decision to the console as soon as
/// it loads, as a forged cross-site request would.
async fn forger(target: &str) -> String {
    let html = format!(
        r#"<!doctype html><html><body>
<form id="f" method="post" action="{target}" enctype="text/plain">
<input name='{{"decision":"approved","x":"' value='"}}'>
</form><script>document.getElementById('f').submit();</script></body></html>"#
    );
    let router = axum::Router::new().route(
        "/",
        axum::routing::get(move || async move { axum::response::Html(html) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

#[tokio::test]
async fn a_reviewer_added_by_an_admin_approves_the_sharp_selfies_case_with_a_keystroke() {
    let app = spawn_app_with(&["--webhook-allow-http", "--webhook-allow-private"])
        .await
        .expect("the SQLite suite always runs");
    let Some(browser) = Browser::start(LAPTOP, "face.jpg").await else {
        return;
    };
    let (ours, theirs) = (
        app.tenant_named("Acme Bank").await,
        app.tenant_named("Other Shop").await,
    );
    let receiver = Receiver::start().await;
    let decisions = format!("{}/decisions", receiver.base);
    kycmedia::admin::set_webhooks(app.core.store.as_ref(), &ours.api_key, Some(&decisions), None)
        .await
        .unwrap();
    let (session, attempt, sharp, blurred) = document_and_selfies(&app, &ours, "customer-42").await;
    let (next_session, next) = submitted_case(&app, &ours, "customer-43").await;
    let (_, forged_target) = submitted_case(&app, &ours, "customer-44").await;
    submitted_case(&app, &theirs, "other-tenant-7").await;

    // The admin adds a reviewer of our integration in the console.
    let admin = add_reviewer(&app, "ada", Role::Admin, &[]).await;
    log_in(&browser, &app, "ada", &admin).await;
    browser
        .client
        .goto(&format!("{}/console/reviewers", app.base))
        .await
        .unwrap();
    fill(&browser, "#new-name", "bob").await;
    let ours_id = app
        .core
        .store
        .integration_by_key(&ours.api_key)
        .await
        .unwrap()
        .unwrap()
        .integration
        .id;
    click(&browser, &format!("input[name=integration][value='{ours_id}']")).await;
    click(&browser, "#add-reviewer").await;
    let one_time = browser.element("#one-time-password").await.text().await.unwrap();
    assert_eq!(one_time.trim().len(), 20, "{one_time:?}");
    browser.screenshot("reviewers").await;
    log_out(&browser).await;

    // The reviewer sees only their integration's queue.
    log_in(&browser, &app, "bob", one_time.trim()).await;
    browser.element("#queue").await;
    browser.wait_for_text("customer-42").await;
    let text = browser.text().await;
    assert!(
        text.contains("customer-43") && !text.contains("other-tenant-7"),
        "{text}"
    );
    browser.screenshot("queue").await;

    // A forged cross-site form decides nothing: the cookie stays home.
    let forged = forger(&format!("{}/console/api/cases/{forged_target}/decision", app.base)).await;
    browser.client.goto(&forged).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The case: the sharp selfie first, its face box drawn.
    browser
        .client
        .goto(&format!("{}/console/cases/{attempt}", app.base))
        .await
        .unwrap();
    browser.element(".media-thumb").await;
    let listed = browser
        .client
        .execute(
            "return [...document.querySelectorAll('.media-thumb')].map(t => t.dataset.mediaId);",
            vec![],
        )
        .await
        .unwrap();
    let listed: Vec<&str> = listed.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let at = |id: &str| listed.iter().position(|m| *m == id).unwrap();
    assert_eq!(listed.len(), 4, "{listed:?}");
    assert!(
        at(&sharp) < at(&blurred),
        "the sharp selfie before its blurred copy: {listed:?}"
    );
    click(&browser, &format!(".media-thumb[data-media-id='{sharp}']")).await;
    let boxes = browser.element("#overlay .face-box").await;
    assert!(boxes.is_displayed().await.unwrap(), "the face box is drawn");
    let fits = browser
        .client
        .execute(
            "return document.documentElement.scrollHeight <= window.innerHeight \
             && document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fits, json!(true), "the case fits 1366×768 without scrolling");
    browser.screenshot("case").await;
    let shows = "return document.querySelector('#viewer img').dataset.shows;";
    assert_eq!(browser.client.execute(shows, vec![]).await.unwrap(), json!("preview"));
    press(&browser, '+').await;
    assert_eq!(
        browser.client.execute(shows, vec![]).await.unwrap(),
        json!("original"),
        "zoomed in, the viewer shows the original"
    );
    press(&browser, '0').await;
    press(&browser, 'a').await;
    browser.wait_for_text("Approved").await;
    let decided = decision_of(&app, &ours, &session).await;
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["reasonCode"], Value::Null, "an approval takes no reason code");
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].json()["verification"]["status"], "approved");

    // The next case opens; declined with the provider's reason, by keyboard.
    browser.wait_for_text("customer-43").await;
    let now = browser.client.current_url().await.unwrap();
    assert!(now.path().ends_with(&format!("/console/cases/{next}")), "{now}");
    browser.element(".media-thumb").await;
    press(&browser, 'd').await;
    let reason = browser.element("#reason").await;
    reason.select_by_value("103").await.unwrap();
    fill(&browser, "#decision-comment", "the selfie is someone else").await;
    click(&browser, "button[data-decision=declined]").await;
    browser.wait_for_text("Declined").await;
    let declined = decision_of(&app, &ours, &next_session).await;
    assert_eq!(
        (declined["status"].as_str(), declined["reasonCode"].as_i64()),
        (Some("declined"), Some(103))
    );

    app.core.audit.flush().await;
    let mut rows = Vec::new();
    kycmedia::audit::list(app.core.store.as_ref(), &Default::default(), |r| {
        rows.push((r.actor, r.action, r.attempt_id.map(|a| a.to_string()), r.status))
    })
    .await
    .unwrap();
    for action in [
        "GET /console/api/cases/{attempt}",
        "POST /console/api/cases/{attempt}/decision",
    ] {
        assert!(
            rows.iter().any(|(actor, a, at, s)| actor == "reviewer"
                && a == action
                && at.as_deref() == Some(attempt.as_str())
                && *s == 200),
            "{action} in {rows:?}"
        );
    }
    let forged_decisions = rows
        .iter()
        .filter(|(_, a, at, _)| a.ends_with("/decision") && at.as_deref() == Some(forged_target.as_str()))
        .count();
    assert_eq!(forged_decisions, 0, "the forged form reached no decision");
    let reviews = app.core.store.reviews();
    let bob = reviews.reviewer_by_name("bob").await.unwrap().unwrap();
    let (still_waiting, _) = reviews
        .case(&bob.id, &forged_target.as_str().into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still_waiting.status.as_str(), "submitted");
    log_out(&browser).await;

    // A reviewer of the other integration: the same case is missing.
    let carl = add_reviewer(&app, "carl", Role::Reviewer, &[&theirs]).await;
    log_in(&browser, &app, "carl", &carl).await;
    let path = format!("/console/cases/{attempt}");
    assert_eq!(status_in_browser(&browser, &path).await, 404);
    assert_eq!(
        status_in_browser(&browser, &format!("/console/api/cases/{attempt}")).await,
        404
    );
    browser.close().await;
    let _ = browser_phone_case(&app).await;
}

/// The case view on a phone: stacked, nothing cut off.
async fn browser_phone_case(app: &TestApp) -> Option<()> {
    let browser = Browser::start(crate::browser::PHONE, "face.jpg").await?;
    let tenant = app.tenant().await;
    let (_, attempt) = submitted_case(app, &tenant, "phone-1").await;
    let password = add_reviewer(app, "pat", Role::Reviewer, &[&tenant]).await;
    log_in(&browser, app, "pat", &password).await;
    browser
        .client
        .goto(&format!("{}/console/cases/{attempt}", app.base))
        .await
        .unwrap();
    browser.element("#overlay .face-box").await;
    let overflow = browser
        .client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflow, json!(true), "nothing wider than a phone");
    browser.screenshot("case-phone").await;
    browser.close().await;
    Some(())
}
