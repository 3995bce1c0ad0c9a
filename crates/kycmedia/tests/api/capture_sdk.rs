//! The provider's browser SDKs, unchanged, on an integrator's page of
//! another origin: `@veriff/js-sdk` creates the session from the browser,
//! `@veriff/incontext-sdk` opens the capture page in an iframe, and the
//! integrator's page hears the flow's events. An origin the operator did
//! not allow can do neither. (The SDKs are committed in `tests/sdk/`
//! beside the script that fetched them from npm.)

use std::time::Duration;

use axum::{Router, response::Html, routing::get};
use fantoccini::Locator;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use crate::{
    browser::{Browser, DESKTOP},
    capture::capture_session,
    helpers::{Tenant, TestApp, spawn_app_with},
};

const JS_SDK: &str = include_str!("../sdk/js-sdk-2.0.0.js");
const INCONTEXT_SDK: &str = include_str!("../sdk/incontext-sdk-2.5.0.js");

/// The integrator's page: a button from `@veriff/js-sdk` that creates a
/// session on kycmedia, whose URL `@veriff/incontext-sdk` then opens in an
/// iframe (`open(url)` opens any other). What the SDKs report
/// lands in `window.events` and `window.errors`.
const SHOP: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body>
<h1>Checkout</h1>
<div id="veriff-root"></div>
<script>window.module = { exports: {} }; window.events = []; window.errors = [];</script>
<script src="/js-sdk.js"></script>
<script src="/incontext-sdk.js"></script>
<script>
  const open = (url, lang) => window.veriffSDK.createVeriffFrame({
    url, lang, onEvent: (message) => window.events.push(message),
  });
  const veriff = module.exports.Veriff({
    host: "KYCMEDIA", apiKey: "API_KEY", parentId: "veriff-root",
    onSession: (error, response) => {
      if (error) { window.errors.push(error.status); return; }
      window.sessionId = response.verification.id;
      open(response.verification.url);
    },
  });
  veriff.setParams({ person: { givenName: " ", lastName: " " }, vendorData: "cart-7" });
  veriff.mount({ submitBtnText: "Verify me" });
</script>
</body></html>
"#;

/// The shop on 127.0.0.1 (another port: another origin), and kycmedia
/// allowing it or not.
async fn shop_and_kycmedia(allow_the_shop: bool) -> (String, TestApp, Tenant) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shop = format!("http://{}", listener.local_addr().unwrap());
    let allowed = if allow_the_shop {
        shop.clone()
    } else {
        "https://elsewhere.example".to_owned()
    };
    let app = spawn_app_with(&["--allowed-origins", &allowed])
        .await
        .expect("the SQLite suite always runs");
    let tenant = app.tenant().await;
    let page = SHOP.replace("KYCMEDIA", &app.base).replace("API_KEY", &tenant.api_key);
    let script = |body: &'static str| ([(CONTENT_TYPE, "text/javascript")], body);
    let router = Router::new()
        .route("/", get(move || async move { Html(page) }))
        .route("/js-sdk.js", get(move || async move { script(JS_SDK) }))
        .route("/incontext-sdk.js", get(move || async move { script(INCONTEXT_SDK) }));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (shop, app, tenant)
}

async fn window(browser: &Browser, name: &str) -> Value {
    browser
        .client
        .execute(&format!("return window.{name};"), vec![])
        .await
        .unwrap()
}

async fn wait_for_window(browser: &Browser, name: &str, wanted: Value) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = window(browser, name).await;
        if now == wanted {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "window.{name} is {now}, not {wanted}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_providers_sdks_create_a_session_and_run_the_flow_in_an_iframe_on_the_integrators_page() {
    let (shop, app, tenant) = shop_and_kycmedia(true).await;
    let Some(browser) = Browser::start(DESKTOP, "face.jpg").await else {
        return;
    };
    browser.client.goto(&shop).await.unwrap();
    let button = browser.element("input[type=submit]").await;
    button.click().await.unwrap();
    let frame = browser.element("iframe#veriffFrame").await;
    assert_eq!(window(&browser, "errors").await, json!([]));
    frame.enter_frame().await.unwrap();
    browser.wait_for_text("You will take three photos").await;
    browser.screenshot("incontext-1-start").await;
    browser.button("Start").await.click().await.unwrap();
    for fixture in ["document-front.jpg", "document-back.jpg", "face.jpg"] {
        browser.choose_file(fixture).await;
        browser.wait_for_text("Looks good.").await;
        browser.button("Continue").await.click().await.unwrap();
    }
    browser.wait_for_text("Check your photos").await;
    browser.button("Submit").await.click().await.unwrap();
    browser.client.enter_parent_frame().await.unwrap();
    wait_for_window(&browser, "events", json!(["STARTED", "SUBMITTED", "FINISHED"])).await;
    // The SDK closes its frame on FINISHED.
    assert!(browser.client.find(Locator::Css("iframe#veriffFrame")).await.is_err());
    let session = window(&browser, "sessionId").await.as_str().unwrap().to_owned();
    browser.close().await;

    let attempts = app.attempts(&tenant, &session).await;
    assert_eq!(attempts[0]["status"], "submitted", "{attempts:?}");
    let media = app
        .attempt_media(&tenant, attempts[0]["id"].as_str().unwrap())
        .await
        .json();
    assert_eq!(media["images"].as_array().unwrap().len(), 3, "{media}");
}

#[tokio::test]
async fn an_origin_the_operator_did_not_allow_can_neither_create_a_session_nor_frame_the_page() {
    let (shop, app, tenant) = shop_and_kycmedia(false).await;
    let (_, path) = capture_session(&app, &tenant, json!({})).await;
    let Some(browser) = Browser::start(DESKTOP, "face.jpg").await else {
        return;
    };
    browser.client.goto(&shop).await.unwrap();
    // The button asks kycmedia for a session from the browser...
    browser.element("input[type=submit]").await.click().await.unwrap();
    wait_for_window(&browser, "errors", json!([0])).await;
    // ...and the page frames a session URL its server made.
    let url = format!("{}{path}", app.base);
    browser
        .client
        .execute("open(arguments[0]);", vec![json!(url)])
        .await
        .unwrap();
    let frame = browser.element("iframe#veriffFrame").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(window(&browser, "events").await, json!([]), "no flow ran in the frame");
    frame.enter_frame().await.unwrap();
    let inside = browser.text().await;
    assert!(
        !inside.contains("Verify your identity"),
        "the page rendered in the frame: {inside}"
    );
    browser.close().await;
}

#[tokio::test]
async fn cancel_in_the_iframe_closes_it_and_tells_the_integrators_page_in_the_language_it_passed() {
    let (shop, app, tenant) = shop_and_kycmedia(true).await;
    let (_, path) = capture_session(&app, &tenant, json!({})).await;
    let Some(browser) = Browser::start(DESKTOP, "face.jpg").await else {
        return;
    };
    browser.client.goto(&shop).await.unwrap();
    let url = format!("{}{path}", app.base);
    let frame = {
        browser.element("input[type=submit]").await;
        // The SDK passes the language as `?lang=`.
        browser
            .client
            .execute("open(arguments[0], 'de');", vec![json!(url)])
            .await
            .unwrap();
        browser.element("iframe#veriffFrame").await
    };
    frame.enter_frame().await.unwrap();
    browser.wait_for_text("Identität bestätigen").await;
    browser.button("Abbrechen").await.click().await.unwrap();
    browser.client.enter_parent_frame().await.unwrap();
    wait_for_window(&browser, "events", json!(["CANCELED"])).await;
    assert!(browser.client.find(Locator::Css("iframe#veriffFrame")).await.is_err());
    browser.close().await;
}
