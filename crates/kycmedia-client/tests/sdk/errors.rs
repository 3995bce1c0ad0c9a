//! Every kind of failure, as the caller sees it.

use std::time::Duration;

use kycmedia_client::{Client, Error, NewSession};

use crate::server::{Tenant, fixture, session_with_a_face, spawn};

const UNKNOWN: &str = "aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7";

#[tokio::test]
async fn an_unknown_session_is_a_signed_404_with_code_1101_and_the_apis_message() {
    let server = spawn().await;
    let client = server.client(&server.tenant().await);
    let error = client.attempts(UNKNOWN).await.expect_err("unknown");
    let Error::Api {
        status,
        code,
        message,
        body,
        signed,
        reason,
        request_id,
    } = &error
    else {
        panic!("expected an API error, got {error:?}")
    };
    assert_eq!(
        (*status, code.as_str(), message.as_str()),
        (404, "1101", "Resource not found")
    );
    assert!(signed);
    // A 404 says nothing more: it must not tell a missing id from another tenant's.
    assert_eq!(reason, &None);
    assert!(request_id.as_ref().is_some_and(|id| uuid::Uuid::try_parse(id).is_ok()));
    assert!(body.starts_with(br#"{"status":"fail""#));
    assert_eq!((error.status(), error.code()), (Some(404), Some("1101")));
}

#[tokio::test]
async fn an_unsupported_context_is_a_400_with_code_1402() {
    let server = spawn().await;
    let client = server.client(&server.tenant().await);
    let (session, _) = session_with_a_face(&client).await;
    let error = client
        .upload_image(&session, "no-such-context", &fixture("face.jpg"))
        .await
        .expect_err("refused");
    assert_eq!((error.status(), error.code()), (Some(400), Some("1402")), "{error}");
    let reason = error.reason().expect("kycmedia says why");
    assert!(
        reason.starts_with(r#"unknown image context "no-such-context"; valid: address-front, "#)
            && reason.contains("face-pre"),
        "{reason}"
    );
    assert!(
        error.to_string().contains(reason),
        "the message shows the reason: {error}"
    );
    assert!(error.request_id().is_some());
}

#[tokio::test]
async fn a_video_sent_under_an_image_context_is_refused_with_its_type_and_context_named() {
    let server = spawn().await;
    let client = server.client(&server.tenant().await);
    let (session, _) = session_with_a_face(&client).await;
    let error = client
        .upload_video(&session, "selfid_video", &fixture("face.jpg"))
        .await
        .expect_err("refused");
    assert_eq!((error.status(), error.code()), (Some(400), Some("1104")), "{error}");
    assert_eq!(error.reason(), Some("image/jpeg does not suit context selfid_video"));
}

#[tokio::test]
async fn a_missing_upload_file_is_reported_once_with_its_name() {
    let server = spawn().await;
    let client = server.client(&server.tenant().await);
    let (session, _) = session_with_a_face(&client).await;
    let error = client
        .upload_file(&session, "face", "no/such/face.jpg")
        .await
        .expect_err("no file");
    assert!(matches!(error, Error::File { .. }), "{error:?}");
    assert!(error.to_string().starts_with("reading no/such/face.jpg: "), "{error}");
}

#[tokio::test]
async fn an_id_that_is_not_a_uuid_is_the_servers_400_with_code_1002() {
    let server = spawn().await;
    let client = server.client(&server.tenant().await);
    let error = client
        .session_media("not-a-uuid-but-long-enough-000")
        .await
        .expect_err("refused");
    assert_eq!((error.status(), error.code()), (Some(400), Some("1002")), "{error}");
}

#[tokio::test]
async fn an_upload_after_submission_is_a_409() {
    let server = spawn().await;
    let client = server.client(&server.tenant().await);
    let (session, _) = session_with_a_face(&client).await;
    client.submit(&session).await.expect("submitted");
    let error = client
        .upload_image(&session, "face", &fixture("face.jpg"))
        .await
        .expect_err("closed");
    assert_eq!((error.status(), error.code()), (Some(409), Some("1101")), "{error}");
}

#[tokio::test]
async fn a_wrong_secret_is_an_unsigned_401_on_reads_and_writes() {
    let server = spawn().await;
    let tenant = server.tenant().await;
    let (session, _) = session_with_a_face(&server.client(&tenant)).await;
    let impostor = server.client(&Tenant {
        secret: "not the secret".into(),
        ..tenant
    });
    match impostor.session_media(&session).await {
        Err(Error::Api {
            status: 401,
            code,
            signed: false,
            ..
        }) => assert_eq!(code, "1818"),
        other => panic!("expected an unsigned 401, got {other:?}"),
    }
    match impostor.submit(&session).await {
        Err(Error::Api { status: 401, code, .. }) => assert_eq!(code, "1819"),
        other => panic!("expected a 401, got {other:?}"),
    }
}

#[tokio::test]
async fn an_id_that_could_change_the_path_is_refused_before_anything_is_sent() {
    let client = Client::new("http://127.0.0.1:9", UNKNOWN, "secret").expect("a client");
    let error = client.session_media("../admin").await.expect_err("refused");
    assert!(matches!(error, Error::Invalid(_)), "{error:?}");
    assert!(matches!(Client::new("not a url", UNKNOWN, "s"), Err(Error::Invalid(_))));
}

#[tokio::test]
async fn a_server_that_does_not_listen_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    drop(listener);
    let client = Client::new(&base, UNKNOWN, "secret").expect("a client");
    let error = client.attempts(UNKNOWN).await.expect_err("nobody listens");
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    // Accepts connections and keeps them open without a word.
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let client = Client::builder(&base, UNKNOWN, "secret")
        .timeout(Duration::from_millis(300))
        .build()
        .expect("a client");
    let error = client.create_session(&NewSession::new()).await.expect_err("silence");
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
}
