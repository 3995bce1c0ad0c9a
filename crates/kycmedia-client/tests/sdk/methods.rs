//! Every endpoint method against the real server.

use kycmedia_client::{Error, NewSession, Status, sign};

use crate::server::{fixture, fixture_path, session_with_a_face, spawn};

#[tokio::test]
async fn a_session_goes_from_creation_through_uploads_and_submission_to_deletion() {
    let server = spawn().await;
    let tenant = server.tenant().await;
    let client = server.client(&tenant);

    let created = client
        .create_session(&NewSession::new().vendor_data("customer-42"))
        .await
        .expect("created");
    assert_eq!(created.status(), 201);
    assert_eq!(created.verification.status, "created");
    assert_eq!(created.verification.vendor_data.as_deref(), Some("customer-42"));
    let session = created.verification.id.clone();

    let image = client
        .upload_image(&session, "face", &fixture("face.jpg"))
        .await
        .expect("image");
    let image = image.image.as_ref().expect("an image object");
    assert_eq!(
        (image.context.as_str(), image.mimetype.as_str()),
        ("face", "image/jpeg")
    );
    let video = client
        .upload_video(&session, "selfid_video", &fixture("selfid.mp4"))
        .await
        .expect("video");
    assert_eq!(video.video.as_ref().expect("a video object").mimetype, "video/mp4");
    let from_path = client
        .upload_file(&session, "document-front", fixture_path("document-front.jpg"))
        .await
        .expect("upload from a path");
    assert!(from_path.image.is_some());

    let attempts = client.attempts(&session).await.expect("attempts");
    assert_eq!(attempts.verifications.len(), 1);
    let attempt = attempts.verifications[0].id.clone();
    let of_attempt = client.attempt_media(&attempt).await.expect("attempt media");
    assert_eq!((of_attempt.images.len(), of_attempt.videos.len()), (2, 1));
    let of_session = client.session_media(&session).await.expect("session media");
    assert_eq!(of_session.value(), of_attempt.value());

    let submitted = client.submit(&session).await.expect("submitted");
    assert_eq!(submitted.status(), 200);
    assert_eq!(submitted.verification.status, "submitted");
    let attempts = client.attempts(&session).await.expect("attempts");
    assert_eq!(
        Status::parse(&attempts.verifications[0].status),
        Some(Status::Submitted)
    );

    let deleted = client.delete_session(&session).await.expect("deleted");
    assert_eq!(deleted.verification.id, session);
    match client.session_media(&session).await {
        Err(Error::Api {
            status: 404,
            code,
            signed: true,
            ..
        }) => assert_eq!(code, "1101"),
        other => panic!("expected a signed 404, got {other:?}"),
    }
    match client.download(&image.id, Vec::new()).await {
        Err(Error::Api { status: 404, .. }) => {}
        other => panic!("expected a 404 for the deleted file, got {other:?}"),
    }
}

#[tokio::test]
async fn a_download_writes_exactly_the_uploaded_bytes_and_reports_their_type_and_progress() {
    let server = spawn().await;
    let client = server.client(&server.tenant().await);
    let session = client
        .create_session(&NewSession::new())
        .await
        .expect("session")
        .into_value();
    let uploaded = client
        .upload_file(&session.verification.id, "selfid_video", fixture_path("selfid.mp4"))
        .await
        .expect("upload");
    let id = &uploaded.video.as_ref().expect("sent as a video by its context").id;

    let mut written = Vec::new();
    let mut last = (0, None);
    let download = client
        .download_with_progress(id, &mut written, |done, total| last = (done, total))
        .await
        .expect("a verified download");
    let original = fixture("selfid.mp4");
    assert_eq!(written, original);
    assert_eq!(download.bytes, original.len() as u64);
    assert_eq!(download.content_type.as_deref(), Some("video/mp4"));
    assert_eq!(last.0, original.len() as u64);
}

#[tokio::test]
async fn the_raw_body_is_the_exact_signed_bytes_and_decodes_to_the_value() {
    let server = spawn().await;
    let tenant = server.tenant().await;
    let client = server.client(&tenant);
    let (session, _) = session_with_a_face(&client).await;
    let media = client.session_media(&session).await.expect("media");
    let reparsed: kycmedia_client::MediaList = serde_json::from_slice(media.body()).expect("JSON");
    assert_eq!(&reparsed, media.value());
    assert!(kycmedia_client::verify(
        &tenant.secret,
        media.body(),
        &sign(&tenant.secret, media.body())
    ));
    assert!(media.body().starts_with(br#"{"status":"success""#));
}

#[tokio::test]
async fn a_session_created_from_a_verbatim_body_keeps_its_fields() {
    let server = spawn().await;
    let client = server.client(&server.tenant().await);
    let body = r#"{"verification":{"vendorData":"hand-written","unknownField":{"ignored":true}}}"#;
    let created = client.create_session_body(body).await.expect("created");
    assert_eq!(created.verification.vendor_data.as_deref(), Some("hand-written"));
}

#[tokio::test]
async fn the_decision_is_none_until_recorded_then_signed_with_its_code() {
    let server = spawn().await;
    let tenant = server.tenant().await;
    let client = server.client(&tenant);
    let (session, _) = session_with_a_face(&client).await;
    client.submit(&session).await.expect("submitted");
    let before = client.decision(&session).await.expect("no decision yet");
    assert_eq!(before.verification, None);
    kycmedia::admin::decide(
        server.core.store.as_ref(),
        &session.as_str().into(),
        Status::Declined,
        Some(105),
    )
    .await
    .expect("decided");
    let after = client.decision(&session).await.expect("a decision");
    let decision = after.verification.as_ref().expect("the decision object");
    assert_eq!((decision.code, decision.status.as_str()), (9102, "declined"));
    assert_eq!(decision.reason.as_deref(), Some("Suspicious behaviour"));
    assert_eq!(decision.id, session);
}
