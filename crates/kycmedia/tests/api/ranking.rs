//! The automation system through the API: lists put media that show what
//! their context asks before media that do not, and kycmedia's own
//! analysis endpoints explain each rank to the integration that owns it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp, fixture, spawn_app};

/// Uploads `files` under `context` into a fresh session; returns the
/// session, its attempt and the media ids in upload order.
async fn attempt_of(app: &TestApp, tenant: &Tenant, context: &str, files: &[&str]) -> (String, String, Vec<String>) {
    let session = app.create_session(tenant, json!({})).await;
    let mut ids = Vec::new();
    for file in files {
        ids.push(app.upload_ok(tenant, &session, "image", context, &fixture(file)).await);
    }
    let attempt = app.latest_attempt(tenant, &session).await;
    (session, attempt, ids)
}

fn listed_ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|m| m["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn analysis(app: &TestApp, tenant: &Tenant, attempt: &str) -> crate::helpers::Reply {
    let path = format!("/kycmedia/v1/attempts/{attempt}/analysis");
    app.signed(Method::GET, tenant, &path, attempt).await
}

#[tokio::test]
async fn a_sharp_card_photo_under_a_face_context_ranks_below_a_blurred_selfie() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let files = ["document-front.jpg", "face-blurred.jpg", "face.jpg"];
    let (_, attempt, ids) = attempt_of(&app, &tenant, "face", &files).await;
    let list = app.attempt_media(&tenant, &attempt).await.json();
    // The card photo is the sharpest file, but its face is a printed portrait.
    assert_eq!(
        listed_ids(&list, "images"),
        [ids[2].clone(), ids[1].clone(), ids[0].clone()],
        "{list}"
    );
}

#[tokio::test]
async fn the_front_of_a_card_ranks_first_under_document_front_and_last_under_document_back() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let files = ["document-back.jpg", "document-front.jpg"];
    let (_, front_attempt, front_ids) = attempt_of(&app, &tenant, "document-front", &files).await;
    let (_, back_attempt, back_ids) = attempt_of(&app, &tenant, "document-back", &files).await;
    let fronts = app.attempt_media(&tenant, &front_attempt).await.json();
    let backs = app.attempt_media(&tenant, &back_attempt).await.json();
    assert_eq!(
        listed_ids(&fronts, "images"),
        [front_ids[1].clone(), front_ids[0].clone()]
    );
    assert_eq!(listed_ids(&backs, "images"), [back_ids[0].clone(), back_ids[1].clone()]);
}

#[tokio::test]
async fn the_analysis_endpoint_explains_each_rank_in_list_order_and_is_signed() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let files = ["document-front.jpg", "face.jpg"];
    let (_, attempt, ids) = attempt_of(&app, &tenant, "face", &files).await;
    let reply = analysis(&app, &tenant, &attempt).await;
    assert_eq!(reply.status, 200);
    reply.assert_signed(&tenant);
    let body = reply.json();
    assert_eq!(body["status"], "success");
    assert_eq!(body["attemptId"], attempt.as_str());
    let media = body["media"].as_array().cloned().unwrap_or_default();
    let order: Vec<_> = media.iter().map(|m| m["id"].as_str().unwrap_or_default()).collect();
    assert_eq!(order, [ids[1].as_str(), ids[0].as_str()]);
    let (selfie, card) = (&media[0], &media[1]);
    assert_eq!(
        (selfie["rank"].as_u64(), selfie["matches"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(selfie["evidence"]["family"], "face");
    assert_eq!(selfie["evidence"]["faces"].as_array().map(Vec::len), Some(1));
    assert!(
        selfie["evidence"]["pixels"]["sharpness"].as_f64() > Some(0.5),
        "{selfie}"
    );
    assert_eq!(card["matches"], false);
    assert!(
        card["evidence"]["findings"][0]
            .as_str()
            .is_some_and(|f| f.contains("portrait")),
        "{card}"
    );
}

#[tokio::test]
async fn one_media_files_analysis_is_served_by_its_id() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let (_, _, ids) = attempt_of(&app, &tenant, "document-back-barcode", &["document-back.jpg"]).await;
    let path = format!("/kycmedia/v1/media/{}/analysis", ids[0]);
    let reply = app.signed(Method::GET, &tenant, &path, &ids[0]).await;
    assert_eq!(reply.status, 200);
    let media = &reply.json()["media"];
    assert_eq!(media["id"], ids[0].as_str());
    // The fixture's stripes only look like a barcode: nothing decodes.
    assert_eq!(media["matches"], false);
    assert_eq!(media["evidence"]["family"], "barcode");
}

#[tokio::test]
async fn another_tenant_cannot_read_an_analysis_and_an_unsigned_request_is_refused() {
    let Some(app) = spawn_app().await else { return };
    let (owner, stranger) = (app.tenant().await, app.tenant().await);
    let (_, attempt, ids) = attempt_of(&app, &owner, "face", &["face.jpg"]).await;
    analysis(&app, &stranger, &attempt).await.assert_error(404, "1101");
    let path = format!("/kycmedia/v1/media/{}/analysis", ids[0]);
    app.signed(Method::GET, &stranger, &path, &ids[0])
        .await
        .assert_error(404, "1101");
    let unsigned = app
        .send(Method::GET, &path, &[("X-AUTH-CLIENT", &owner.api_key)], None)
        .await;
    assert_eq!(unsigned.status, 401);
    let wrong = app.signed(Method::GET, &owner, &path, "not-the-id").await;
    assert_eq!(wrong.status, 401);
}
