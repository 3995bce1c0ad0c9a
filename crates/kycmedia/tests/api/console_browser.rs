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
    helpers::{TestApp, spawn_app_with},
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
    let (ours, theirs) = (app.tenant().await, app.tenant().await);
    let receiver = Receiver::start().await;
    let decisions = format!("{}/decisions", receiver.base);
    kycmedia::admin::set_webhooks(app.core.store.as_ref(), &ours.api_key, Some(&decisions), None)
        .await
        .unwrap();
    let (session, attempt) = submitted_case(&app, &ours, "customer-42").await;
    let (_, untouched) = submitted_case(&app, &ours, "customer-43").await;
    submitted_case(&app, &theirs, "other-tenant-7").await;
    let ranked = app.attempt_media(&ours, &attempt).await.json();
    let sharp = ranked["images"][0]["id"].as_str().unwrap().to_owned();

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
    let forged = forger(&format!("{}/console/api/cases/{untouched}/decision", app.base)).await;
    browser.client.goto(&forged).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The case: the sharp selfie first, its face box drawn.
    browser
        .client
        .goto(&format!("{}/console/cases/{attempt}", app.base))
        .await
        .unwrap();
    let first = browser.element(".media-thumb").await;
    assert_eq!(
        first.attr("data-media-id").await.unwrap().as_deref(),
        Some(sharp.as_str())
    );
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
    press(&browser, 'a').await;
    browser.wait_for_text("Approved").await;

    let decided = app
        .signed(
            Method::GET,
            &ours,
            &format!("/v1/sessions/{session}/decision"),
            &session,
        )
        .await
        .json();
    assert_eq!(decided["verification"]["status"], "approved");
    assert_eq!(decided["verification"]["reasonCode"], Value::Null);
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].json()["verification"]["status"], "approved");
    let still = app
        .signed(
            Method::GET,
            &ours,
            &format!("/v1/attempts/{untouched}/media"),
            &untouched,
        )
        .await;
    assert_eq!(still.status, 200);
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
        .filter(|(_, a, at, _)| a.ends_with("/decision") && at.as_deref() == Some(untouched.as_str()))
        .count();
    assert_eq!(forged_decisions, 0, "the forged form reached no decision");
    let untouched_case = app.core.store.reviews();
    let bob = untouched_case.reviewer_by_name("bob").await.unwrap().unwrap();
    let (still_waiting, _) = untouched_case
        .case(&bob.id, &untouched.as_str().into())
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
