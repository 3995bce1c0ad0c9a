//! Several stateless servers on one PostgreSQL database and one bucket: what
//! one writes, the others serve at once.

use std::time::Duration;

use kycmedia::{admin, app::Application, testing};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Place, fixture, spawn_app_in};

/// Both servers put the same base URL in media links, as servers behind one
/// load balancer do, so that their answers can be compared byte for byte.
const PUBLIC: [&str; 2] = ["--public-url", "https://media.example.test"];

#[tokio::test]
async fn an_upload_through_one_server_is_listed_and_downloadable_through_the_other_at_once() {
    let Some(place) = Place::postgres().await else { return };
    let (one, other) = (
        spawn_app_in(place.clone(), &PUBLIC).await,
        spawn_app_in(place, &PUBLIC).await,
    );
    let tenant = one.tenant().await;
    let session = one.create_session(&tenant, json!({})).await;
    let blurred = one
        .upload_ok(&tenant, &session, "image", "face", &fixture("face-blurred.jpg"))
        .await;
    let attempt = other.latest_attempt(&tenant, &session).await;
    assert_eq!(
        other.attempt_media(&tenant, &attempt).await.json()["images"][0]["id"],
        blurred.as_str()
    );

    // The other way round, interleaved with reads, so no server can answer
    // from something it remembers.
    let sharp = other
        .upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    let (through_one, through_other) = (
        one.attempt_media(&tenant, &attempt).await,
        other.attempt_media(&tenant, &attempt).await,
    );
    assert_eq!(through_one.status, 200);
    assert_eq!(
        through_one.body, through_other.body,
        "the same bytes from either server"
    );
    assert_eq!(
        through_one.header("x-hmac-signature"),
        through_other.header("x-hmac-signature")
    );
    let images = through_one.json()["images"].as_array().unwrap().clone();
    assert_eq!(images.len(), 2);
    assert_eq!(
        images[0]["id"],
        sharp.as_str(),
        "re-ranked with the other server's upload first"
    );

    for (server, id, file) in [(&one, &sharp, "face.jpg"), (&other, &blurred, "face-blurred.jpg")] {
        let bytes = server
            .signed(Method::GET, &tenant, &format!("/v1/media/{id}"), id)
            .await;
        assert_eq!(bytes.status, 200);
        assert_eq!(bytes.body, fixture(file));
    }
}

#[tokio::test]
async fn a_delete_through_one_server_is_a_404_on_the_other_at_once() {
    let Some(place) = Place::postgres().await else { return };
    let (one, other) = (spawn_app_in(place.clone(), &[]).await, spawn_app_in(place, &[]).await);
    let tenant = one.tenant().await;
    let session = one.create_session(&tenant, json!({})).await;
    let media = one
        .upload_ok(&tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    let attempt = one.latest_attempt(&tenant, &session).await;
    // The other server has read all of it before the delete.
    assert_eq!(other.attempt_media(&tenant, &attempt).await.status, 200);
    assert_eq!(other.session_media(&tenant, &session).await.status, 200);
    let path = format!("/v1/media/{media}");
    assert_eq!(other.signed(Method::GET, &tenant, &path, &media).await.status, 200);

    let deleted = one
        .signed(Method::DELETE, &tenant, &format!("/v1/sessions/{session}"), &session)
        .await;
    assert_eq!(deleted.status, 200, "{}", String::from_utf8_lossy(&deleted.body));

    other.attempt_media(&tenant, &attempt).await.assert_error(404, "1101");
    other.session_media(&tenant, &session).await.assert_error(404, "1101");
    other
        .signed(Method::GET, &tenant, &path, &media)
        .await
        .assert_error(404, "1101");
    assert_eq!(
        other.stored_files().await,
        0,
        "the bytes are gone from the shared bucket"
    );
}

#[tokio::test]
async fn a_secret_revoked_through_one_server_stops_working_on_the_other_within_a_second() {
    let Some(place) = Place::postgres().await else { return };
    let (one, other) = (spawn_app_in(place.clone(), &[]).await, spawn_app_in(place, &[]).await);
    let tenant = one.tenant().await;
    let session = one.create_session(&tenant, json!({})).await;
    assert_eq!(other.attempts(&tenant, &session).await.len(), 0);

    let store = one.core.store.as_ref();
    admin::add_secret(store, &tenant.api_key).await.unwrap();
    admin::revoke_secret(store, &tenant.api_key, &tenant.secret)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let path = format!("/v1/sessions/{session}/attempts");
    other
        .signed(Method::GET, &tenant, &path, &session)
        .await
        .assert_error(401, "1818");
}

#[tokio::test]
async fn servers_started_together_on_an_empty_database_migrate_it_exactly_once() {
    let Some(place) = Place::postgres().await else { return };
    let servers = futures::future::join_all((0..4).map(|_| spawn_app_in(place.clone(), &[]))).await;
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&place.database)
        .await
        .unwrap();
    let applied: Vec<(i64, bool)> = sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count() as i64;
    let expected: Vec<(i64, bool)> = (1..=files).map(|version| (version, true)).collect();
    assert_eq!(applied, expected, "each migration applied once");
    for server in &servers {
        assert_eq!(server.send(Method::GET, "/readyz", &[], None).await.status, 200);
    }
}

#[tokio::test]
async fn a_server_whose_bucket_does_not_exist_refuses_to_start_and_says_why() {
    let Some(place) = Place::postgres().await else { return };
    let args = place.serve_args();
    let missing: Vec<String> = args
        .iter()
        .map(|a| {
            if a.starts_with("s3://") {
                "s3://no-such-bucket/media".to_owned()
            } else {
                a.clone()
            }
        })
        .collect();
    let mut config = testing::serve_config(&missing);
    config.storage.storage_options = place.storage_options.clone();
    let Err(error) = Application::build(&config).await else {
        panic!("a server started on a bucket that does not exist")
    };
    let message = format!("{error:#}");
    assert!(
        message.contains("storage s3://no-such-bucket/media does not answer"),
        "{message}"
    );
    assert!(!message.contains(crate::services::S3_SECRET), "{message}");
}

#[tokio::test]
async fn two_healthy_servers_deliver_each_webhook_exactly_once_and_each_session_in_order() {
    use std::collections::{BTreeMap, BTreeSet};

    use crate::receiver::Receiver;

    let Some(place) = Place::postgres().await else { return };
    let local = ["--webhook-allow-http", "--webhook-allow-private"];
    let (one, other) = (
        spawn_app_in(place.clone(), &local).await,
        spawn_app_in(place, &local).await,
    );
    let tenant = one.tenant().await;
    let receiver = Receiver::start().await;
    let url = format!("{}/hooks", receiver.base);
    admin::set_webhooks(one.core.store.as_ref(), &tenant.api_key, Some(&url), Some(&url))
        .await
        .unwrap();
    let face = fixture("face.jpg");
    let mut sessions = Vec::new();
    for n in 0..12 {
        let app = if n % 2 == 0 { &one } else { &other };
        let session = app.create_session(&tenant, json!({})).await;
        app.upload_ok(&tenant, &session, "image", "face", &face).await;
        assert_eq!(app.submit(&tenant, &session).await.status, 200);
        sessions.push(session);
    }
    receiver.wait_for(24, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got = receiver.received();
    let ids: BTreeSet<&str> = got.iter().map(|r| r.header("x-kycmedia-webhook-id")).collect();
    assert_eq!((got.len(), ids.len()), (24, 24), "each webhook once");
    let mut by_session: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for webhook in &got {
        let body = webhook.json();
        by_session
            .entry(body["id"].as_str().unwrap().to_owned())
            .or_default()
            .push(body["action"].as_str().unwrap().to_owned());
    }
    for session in &sessions {
        assert_eq!(by_session[session], ["started", "submitted"], "{session}");
    }
}
