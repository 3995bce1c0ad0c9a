//! The capture page in a real Chromium: a person takes the three photos
//! with the (fake) camera or from files, is told when a photo is too dark,
//! retakes it, submits and lands on the callback; the API then has the
//! photos, best first, and the integrator its `submitted` webhook.
//!
//! `KYCMEDIA_SCREENSHOTS_DIR=docs/capture cargo test --test api capture_browser`
//! redraws the screenshots in `docs/capture/`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    browser::{Browser, DESKTOP, NARROWEST, PHONE},
    capture::{capture_session, events_to},
    helpers::{TestApp, fixture, spawn_app_with},
    receiver::Receiver,
};

const LOCAL_WEBHOOKS: &[&str] = &["--webhook-allow-http", "--webhook-allow-private"];
const CALLBACK: &str = "https://127.0.0.1:9/done?order=42";

/// A server whose tenant sends events to `receiver`; a session made there
/// with a callback. The contract takes only `https://` callbacks, and
/// nothing answers this one: the browser's arrival at it is what counts.
async fn session_with_callback(receiver: &Receiver) -> (TestApp, crate::helpers::Tenant, String, String) {
    let app = spawn_app_with(LOCAL_WEBHOOKS)
        .await
        .expect("the SQLite suite always runs");
    let tenant = app.tenant().await;
    events_to(&app, &tenant, receiver).await;
    let callback = CALLBACK.to_owned();
    let (session, path) = capture_session(&app, &tenant, json!({ "callback": callback })).await;
    (app, tenant, session, path)
}

/// Waits until the browser is at `url`.
async fn lands_on(browser: &Browser, url: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = browser.client.current_url().await.unwrap();
        if now.as_str() == url {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "at {now}, not {url}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The contexts of the attempt's images, best first, with their sizes.
async fn listed(app: &TestApp, tenant: &crate::helpers::Tenant, session: &str) -> Vec<(String, u64)> {
    let attempt = app.latest_attempt(tenant, session).await;
    let media = app.attempt_media(tenant, &attempt).await.json();
    media["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["context"].as_str().unwrap().to_owned(), m["size"].as_u64().unwrap()))
        .collect()
}

#[tokio::test]
async fn a_person_takes_the_three_photos_with_the_camera_on_a_phone_and_lands_on_the_callback() {
    let receiver = Receiver::start().await;
    let (app, tenant, session, path) = session_with_callback(&receiver).await;
    let Some(browser) = Browser::start(PHONE, "document-front.jpg").await else {
        return;
    };
    browser.client.goto(&format!("{}{path}", app.base)).await.unwrap();
    browser.wait_for_text("You will take three photos").await;
    browser.screenshot("phone-1-start").await;
    browser.button("Start").await.click().await.unwrap();

    for (fixture, title, shot) in [
        ("document-front.jpg", "Front of your document", "phone-2-document-front"),
        ("document-back.jpg", "Back of your document", "phone-3-document-back"),
        ("face.jpg", "Your face", "phone-4-face"),
    ] {
        browser.show(fixture);
        if title != "Front of your document" {
            browser.button("Continue").await.click().await.unwrap();
        }
        browser.wait_for_text(title).await;
        let take = browser.button("Take photo").await;
        browser.wait_for_camera().await;
        browser.screenshot(shot).await;
        take.click().await.unwrap();
        browser.wait_for_text("Looks good.").await;
        if title == "Your face" {
            browser.screenshot("phone-5-face-checked").await;
        }
    }
    browser.button("Continue").await.click().await.unwrap();
    browser.wait_for_text("Check your photos").await;
    browser.screenshot("phone-6-summary").await;
    browser.button("Submit").await.click().await.unwrap();
    lands_on(&browser, CALLBACK).await;
    // The link again, once used: a page that says so.
    browser.client.goto(&format!("{}{path}", app.base)).await.unwrap();
    browser.wait_for_text("Already submitted").await;
    browser.screenshot("phone-7-already-submitted").await;
    browser.close().await;

    let contexts: Vec<String> = listed(&app, &tenant, &session)
        .await
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(contexts.len(), 3, "{contexts:?}");
    for context in ["document-front", "document-back", "face"] {
        assert!(contexts.iter().any(|c| c == context), "{context} in {contexts:?}");
    }
    assert_eq!(app.attempts(&tenant, &session).await[0]["status"], "submitted");
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    let events: Vec<Value> = got
        .iter()
        .filter(|r| r.path == "/events")
        .map(|r| r.json()["action"].clone())
        .collect();
    assert_eq!(events, ["started", "submitted"]);
}

#[tokio::test]
async fn a_dark_selfie_chosen_from_a_file_is_called_too_dark_until_a_good_one_replaces_it() {
    let receiver = Receiver::start().await;
    let (app, tenant, session, path) = session_with_callback(&receiver).await;
    let Some(browser) = Browser::start(DESKTOP, "face.jpg").await else {
        return;
    };
    browser.client.goto(&format!("{}{path}", app.base)).await.unwrap();
    browser.wait_for_text("You will take three photos").await;
    browser.screenshot("desktop-1-start").await;
    browser.button("Start").await.click().await.unwrap();

    browser.wait_for_text("Front of your document").await;
    browser.wait_for_camera().await;
    browser.screenshot("desktop-2-document-front").await;
    browser.choose_file("document-front.jpg").await;
    browser.wait_for_text("Looks good.").await;
    browser.button("Continue").await.click().await.unwrap();

    browser.wait_for_text("Back of your document").await;
    browser.wait_for_camera().await;
    browser.screenshot("desktop-3-document-back").await;
    browser.choose_file("document-front.jpg").await;
    browser
        .wait_for_text("This looks like the front. Turn your document over.")
        .await;
    browser.button("Retake").await.click().await.unwrap();
    browser.choose_file("document-back.jpg").await;
    browser.wait_for_text("Looks good.").await;
    browser.button("Continue").await.click().await.unwrap();

    browser.wait_for_text("Your face").await;
    browser.wait_for_camera().await;
    browser.screenshot("desktop-4-face").await;
    browser.choose_file("face-dark.jpg").await;
    browser.wait_for_text("Too dark. Move to a brighter place.").await;
    browser.screenshot("desktop-5-too-dark").await;
    browser.button("Retake").await.click().await.unwrap();
    browser.choose_file("face.jpg").await;
    browser.wait_for_text("Looks good.").await;
    assert!(!browser.text().await.contains("Too dark"), "the advice cleared");
    browser.button("Continue").await.click().await.unwrap();

    browser.wait_for_text("Check your photos").await;
    browser.screenshot("desktop-6-summary").await;
    browser.button("Submit").await.click().await.unwrap();
    lands_on(&browser, CALLBACK).await;
    browser.close().await;

    // Every photo sent is kept; the good selfie ranks before the dark one.
    let listed = listed(&app, &tenant, &session).await;
    let faces: Vec<u64> = listed.iter().filter(|(c, _)| c == "face").map(|(_, s)| *s).collect();
    assert_eq!(
        faces,
        [fixture("face.jpg").len() as u64, fixture("face-dark.jpg").len() as u64]
    );
    assert_eq!(listed.len(), 5, "{listed:?}");
}

/// What a screen reader or a keyboard would miss on the screen shown: a
/// control without a name, an image without a text, a file input without
/// its label, a page without a language, a page wider than the screen.
const AUDIT: &str = r#"
const problems = [];
if (!document.documentElement.lang) problems.push("no lang on <html>");
for (const b of document.querySelectorAll("button")) if (!b.textContent.trim()) problems.push("a button without a name");
for (const i of document.querySelectorAll("img")) if (!i.alt) problems.push("an image without alt");
for (const f of document.querySelectorAll("input")) if (!document.querySelector(`label[for="${f.id}"]`)) problems.push("an input without a label");
for (const v of document.querySelectorAll("video")) if (!v.getAttribute("aria-label")) problems.push("a video without a name");
if (!document.querySelector("h1")) problems.push("no heading");
if (document.documentElement.scrollWidth > window.innerWidth) problems.push(`${document.documentElement.scrollWidth} px wide in ${window.innerWidth}`);
return problems;
"#;

async fn audit(browser: &Browser) {
    let problems = browser.client.execute(AUDIT, vec![]).await.unwrap();
    assert_eq!(problems, json!([]), "on: {}", browser.text().await);
}

/// Presses Tab until the focused element's text is `text`.
async fn tab_to(browser: &Browser, text: &str) {
    for _ in 0..12 {
        let focused = browser.client.active_element().await.unwrap();
        if focused.text().await.unwrap_or_default().trim() == text {
            return;
        }
        focused.send_keys(&fantoccini::key::Key::Tab.to_string()).await.unwrap();
    }
    panic!("Tab never reached {text:?}");
}

async fn press_enter(browser: &Browser) {
    let focused = browser.client.active_element().await.unwrap();
    focused
        .send_keys(&fantoccini::key::Key::Enter.to_string())
        .await
        .unwrap();
}

/// The focused element's text: after each screen change, its heading.
async fn focused_text(browser: &Browser) -> String {
    let focused = browser.client.active_element().await.unwrap();
    focused.text().await.unwrap_or_default()
}

#[tokio::test]
async fn the_whole_flow_works_from_the_keyboard_on_a_320_pixel_screen_and_each_screen_announces_its_heading() {
    // No callback: the flow ends on the page's own thanks.
    let app = spawn_app_with(&[]).await.expect("the SQLite suite always runs");
    let tenant = app.tenant().await;
    let (_, path) = capture_session(&app, &tenant, json!({})).await;
    let Some(browser) = Browser::start(NARROWEST, "document-front.jpg").await else {
        return;
    };
    browser.client.goto(&format!("{}{path}", app.base)).await.unwrap();
    browser.wait_for_text("You will take three photos").await;
    assert_eq!(focused_text(&browser).await, "Verify your identity");
    audit(&browser).await;
    tab_to(&browser, "Start").await;
    press_enter(&browser).await;

    for (fixture, title) in [
        ("document-front.jpg", "Front of your document"),
        ("document-back.jpg", "Back of your document"),
        ("face.jpg", "Your face"),
    ] {
        browser.show(fixture);
        if title != "Front of your document" {
            tab_to(&browser, "Continue").await;
            press_enter(&browser).await;
        }
        browser.wait_for_text(title).await;
        assert_eq!(focused_text(&browser).await, title);
        browser.button("Take photo").await;
        audit(&browser).await;
        browser.wait_for_camera().await;
        tab_to(&browser, "Take photo").await;
        press_enter(&browser).await;
        browser.wait_for_text("Looks good.").await;
        assert_eq!(focused_text(&browser).await, title);
        audit(&browser).await;
    }
    tab_to(&browser, "Continue").await;
    press_enter(&browser).await;
    browser.wait_for_text("Check your photos").await;
    assert_eq!(focused_text(&browser).await, "Check your photos");
    audit(&browser).await;
    tab_to(&browser, "Submit").await;
    press_enter(&browser).await;
    browser.wait_for_text("Your photos have been sent.").await;
    assert_eq!(focused_text(&browser).await, "Thank you");
    audit(&browser).await;
    browser.screenshot("narrow-done").await;
    browser.close().await;
}

#[tokio::test]
async fn a_file_too_large_is_refused_in_words_and_the_person_can_choose_another() {
    let app = spawn_app_with(&["--max-body-bytes", "100000"])
        .await
        .expect("the SQLite suite always runs");
    let tenant = app.tenant().await;
    let (_, path) = capture_session(&app, &tenant, json!({})).await;
    let Some(browser) = Browser::start(PHONE, "face.jpg").await else {
        return;
    };
    browser.client.goto(&format!("{}{path}", app.base)).await.unwrap();
    browser.button("Start").await.click().await.unwrap();
    browser.wait_for_text("Front of your document").await;
    assert!(fixture("photo-1920.jpg").len() > 100_000);
    browser.choose_file("photo-1920.jpg").await;
    browser.wait_for_text("This file is too large.").await;
    browser.screenshot("phone-8-too-large").await;
    browser.choose_file("document-front.jpg").await;
    browser.wait_for_text("Looks good.").await;
    browser.close().await;
}
