//! Responses altered in transit are refused, never handed over.

use kycmedia_client::Error;

use crate::{
    proxy::{self, Mode},
    server::{builder, session_with_a_face, spawn},
};

/// A session with a face, and a client that reaches the server through a
/// proxy in `mode`. Returns (client, session id, media id, proxy).
async fn through(
    mode: Mode,
) -> (
    kycmedia_client::Client,
    String,
    String,
    proxy::Proxy,
    crate::server::Server,
) {
    let server = spawn().await;
    let tenant = server.tenant().await;
    let (session, media) = session_with_a_face(&server.client(&tenant)).await;
    let proxy = proxy::start(&server.base, mode).await;
    let client = builder(&proxy.base, &tenant).build().expect("a client");
    (client, session, media, proxy, server)
}

#[tokio::test]
async fn the_proxy_forwards_faithfully_when_told_to() {
    let (client, session, media, _proxy, _server) = through(Mode::Forward).await;
    assert_eq!(client.session_media(&session).await.expect("listed").images.len(), 1);
    assert!(client.download(&media, Vec::new()).await.is_ok());
}

#[tokio::test]
async fn a_body_altered_in_transit_is_a_bad_signature_for_lists_errors_and_downloads() {
    let (client, session, media, _proxy, _server) = through(Mode::FlipBodyByte).await;
    let error = client.session_media(&session).await.expect_err("altered");
    assert!(matches!(error, Error::BadSignature { status: 200 }), "{error:?}");
    let error = client
        .attempts("aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7")
        .await
        .expect_err("an altered error body");
    assert!(matches!(error, Error::BadSignature { status: 404 }), "{error:?}");
    let error = client.download(&media, Vec::new()).await.expect_err("altered file");
    assert!(matches!(error, Error::BadSignature { status: 200 }), "{error:?}");
}

#[tokio::test]
async fn an_altered_signature_is_a_bad_signature() {
    let (client, session, media, _proxy, _server) = through(Mode::AlterSignature).await;
    let error = client.attempts(&session).await.expect_err("altered");
    assert!(matches!(error, Error::BadSignature { .. }), "{error:?}");
    let error = client.submit(&session).await.expect_err("altered");
    assert!(matches!(error, Error::BadSignature { .. }), "{error:?}");
    let error = client.download(&media, Vec::new()).await.expect_err("altered");
    assert!(matches!(error, Error::BadSignature { .. }), "{error:?}");
}

#[tokio::test]
async fn a_removed_signature_is_a_missing_signature_and_nothing_is_written() {
    let (client, session, media, _proxy, _server) = through(Mode::RemoveSignature).await;
    let error = client.session_media(&session).await.expect_err("unsigned");
    assert!(matches!(error, Error::MissingSignature { status: 200 }), "{error:?}");
    let error = client.delete_session(&session).await.expect_err("unsigned");
    assert!(error.is_signature_error(), "{error:?}");
    let mut written = Vec::new();
    let error = client.download(&media, &mut written).await.expect_err("unsigned");
    assert!(matches!(error, Error::MissingSignature { .. }), "{error:?}");
    assert!(written.is_empty(), "an unsigned file must not reach the writer");
}
