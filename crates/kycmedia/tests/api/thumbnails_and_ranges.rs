//! Byte ranges of stored media and their thumbnails, through a real server's
//! state (`objects::open_range`, `put_derived`, `open_derived`), and the
//! blob layer's ranges on both kinds of storage: a directory and, when the
//! services are installed, an S3 bucket (moto).

use std::time::Duration;

use bytes::Bytes;
use kycmedia::{
    blobs::{BlobError, Blobs},
    ids::{IntegrationId, MediaId},
    keys::object,
    objects,
    store::{Media, ObjectKey},
};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Tenant, TestApp, fixture, spawn_app, spawn_app_with};

/// An uploaded photo's row, its key row, and its bytes as downloaded.
async fn uploaded(app: &TestApp, tenant: &Tenant, session: &str) -> (Media, Option<ObjectKey>, Vec<u8>) {
    let id = app
        .upload_ok(tenant, session, "image", "face", &fixture("photo-1920.jpg"))
        .await;
    let integration: IntegrationId = app
        .core
        .store
        .integration_by_key(&tenant.api_key)
        .await
        .unwrap()
        .expect("the tenant's integration")
        .integration
        .id;
    let media_id = MediaId::from(id.as_str());
    let media = app
        .core
        .store
        .media(&integration, &media_id)
        .await
        .unwrap()
        .expect("its row");
    let key = app.core.store.object_key(&integration, &media_id).await.unwrap();
    let download = app.signed(Method::GET, tenant, &format!("/v1/media/{id}"), &id).await;
    assert_eq!(download.status, 200);
    (media, key, download.body)
}

#[tokio::test]
async fn a_range_of_an_uploaded_photo_is_the_same_slice_of_its_download_sealed_or_not() {
    for flags in [&[][..], &["--insecure-plaintext"][..]] {
        let Some(app) = spawn_app_with(flags).await else { return };
        let tenant = app.tenant().await;
        let session = app.create_session(&tenant, json!({})).await;
        let (media, key, download) = uploaded(&app, &tenant, &session).await;
        assert_eq!(
            key.is_some(),
            flags.is_empty(),
            "sealed exactly when there is a master key"
        );
        let len = download.len() as u64;
        assert_eq!(media.size as u64, len);
        assert!(len > 2 * object::CHUNK as u64, "the photo spans three chunks");
        let chunk = object::CHUNK as u64;
        for range in [0..100, chunk - 8..chunk + 8, 2 * chunk + 1..len, 0..len, len..len] {
            let got = objects::open_range(&app.core, &media, key.as_ref(), range.clone())
                .await
                .unwrap_or_else(|e| panic!("{flags:?} {range:?}: {e}"));
            assert_eq!(
                &got[..],
                &download[range.start as usize..range.end as usize],
                "{flags:?} {range:?}"
            );
        }
        let past = objects::open_range(&app.core, &media, key.as_ref(), 10..len + 1).await;
        assert!(matches!(past, Err(BlobError::OutOfRange)), "{flags:?}");
    }
}

#[tokio::test]
async fn a_thumbnail_is_sealed_beside_its_photo_survives_the_sweep_and_goes_with_its_session() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let (media, key, download) = uploaded(&app, &tenant, &session).await;
    assert_eq!(
        objects::open_derived(&app.core, &media, key.as_ref(), objects::Derived::Thumbnail)
            .await
            .unwrap(),
        None
    );

    let jpeg = kycmedia_media::thumbnail(&download, 320, kycmedia_media::Limits::DEFAULT).unwrap();
    objects::put_derived(
        &app.core,
        &media,
        key.as_ref(),
        objects::Derived::Thumbnail,
        jpeg.clone(),
    )
    .await
    .unwrap();
    let thumbnail = objects::derived_key(&media.blob_key, objects::Derived::Thumbnail);
    let stored = app
        .core
        .blobs
        .get_range(&thumbnail, 0..object::HEADER_LEN as u64)
        .await
        .unwrap();
    assert!(object::is_sealed(&stored), "sealed at rest, as its photo is");
    assert_eq!(
        objects::open_derived(&app.core, &media, key.as_ref(), objects::Derived::Thumbnail)
            .await
            .unwrap(),
        Some(jpeg)
    );

    let swept = kycmedia::sweep::run(app.core.store.as_ref(), &app.core.blobs, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(swept.erased, 0, "a thumbnail of a referenced photo is no orphan");
    assert_eq!(app.stored_files().await, 2);

    let reply = app
        .signed(Method::DELETE, &tenant, &format!("/v1/sessions/{session}"), &session)
        .await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    assert_eq!(
        app.core.blobs.size(&thumbnail).await.unwrap(),
        None,
        "the thumbnail is erased"
    );
    assert_eq!(app.stored_files().await, 0);
}

/// Ranges, a range past the end, a missing object and deleting what is not
/// there, on one store.
async fn ranges_behave(blobs: &Blobs, backend: &str) {
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    blobs.put("i/m", Bytes::from(bytes.clone())).await.unwrap();
    for range in [0..1, 0..200_000, 65_530..65_560, 199_999..200_000] {
        let got = blobs.get_range("i/m", range.clone()).await.unwrap();
        assert_eq!(
            &got[..],
            &bytes[range.start as usize..range.end as usize],
            "{backend} {range:?}"
        );
    }
    assert!(blobs.get_range("i/m", 7..7).await.unwrap().is_empty(), "{backend}");
    // Past the end: never a short answer taken for the range.
    assert!(blobs.get_range("i/m", 199_990..200_010).await.is_err(), "{backend}");
    assert!(blobs.get_range("i/m", 200_000..200_001).await.is_err(), "{backend}");
    assert!(
        matches!(blobs.get_range("i/gone", 0..1).await, Err(BlobError::NotFound)),
        "{backend}"
    );
    blobs.delete("i/gone").await.unwrap();
    blobs
        .delete(&objects::derived_key("i/gone", objects::Derived::Thumbnail))
        .await
        .unwrap();
    blobs.delete("i/m").await.unwrap();
    blobs.delete("i/m").await.unwrap();
    assert_eq!(blobs.size("i/m").await.unwrap(), None, "{backend}");
}

#[tokio::test]
async fn ranges_and_deletes_behave_alike_in_a_directory_and_an_s3_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let local = Blobs::open(&format!("file://{}", dir.path().display()), None, &[]).unwrap();
    ranges_behave(&local, "directory").await;
    let Some(services) = crate::services::services() else {
        return;
    };
    let bucket = services.bucket().await;
    let s3 = Blobs::open(
        &format!("s3://{bucket}/prefix"),
        Some(&services.s3_endpoint),
        &services.s3_options(),
    )
    .unwrap();
    ranges_behave(&s3, "s3").await;
}
