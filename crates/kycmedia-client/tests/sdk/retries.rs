//! Retries: idempotent calls only, with backoff.

use std::time::Duration;

use kycmedia_client::{Error, NewSession};

use crate::{
    proxy::{self, Mode},
    server::{builder, session_with_a_face, spawn},
};

#[tokio::test]
async fn a_get_answered_503_once_succeeds_when_retries_are_configured() {
    let server = spawn().await;
    let tenant = server.tenant().await;
    let (session, media) = session_with_a_face(&server.client(&tenant)).await;
    let proxy = proxy::start(&server.base, Mode::UnavailableFirst(1)).await;
    let client = builder(&proxy.base, &tenant)
        .retries(2)
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .build()
        .expect("a client");
    assert_eq!(client.session_media(&session).await.expect("retried").images.len(), 1);
    assert_eq!(proxy.hits(), 2);

    let proxy = proxy::start(&server.base, Mode::UnavailableFirst(2)).await;
    let client = builder(&proxy.base, &tenant)
        .retries(2)
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .build()
        .expect("a client");
    assert!(client.download(&media, Vec::new()).await.is_ok());
    assert_eq!(proxy.hits(), 3);
}

#[tokio::test]
async fn without_retries_the_unsigned_503_is_reported_with_its_status() {
    let server = spawn().await;
    let tenant = server.tenant().await;
    let (session, _) = session_with_a_face(&server.client(&tenant)).await;
    let proxy = proxy::start(&server.base, Mode::UnavailableFirst(1)).await;
    let client = builder(&proxy.base, &tenant).build().expect("a client");
    let error = client.session_media(&session).await.expect_err("503");
    assert!(matches!(error, Error::MissingSignature { status: 503 }), "{error:?}");
    assert_eq!(proxy.hits(), 1);
}

#[tokio::test]
async fn a_post_or_patch_is_never_retried() {
    let server = spawn().await;
    let tenant = server.tenant().await;
    let (session, _) = session_with_a_face(&server.client(&tenant)).await;
    let proxy = proxy::start(&server.base, Mode::UnavailableFirst(2)).await;
    let client = builder(&proxy.base, &tenant)
        .retries(5)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .build()
        .expect("a client");
    let error = client
        .create_session(&NewSession::new())
        .await
        .expect_err("not retried");
    assert_eq!(error.status(), Some(503));
    assert_eq!(proxy.hits(), 1);
    let error = client.submit(&session).await.expect_err("not retried");
    assert_eq!(error.status(), Some(503));
    assert_eq!(proxy.hits(), 2);
}
