//! Files whose magic bytes name an accepted type but whose content is not
//! that type (issue 14's outside testing), over HTTP: each is refused with
//! 400 / 1104 and a reason naming what is missing, and stores nothing; data
//! appended after an image is not stored. The files are built here; the
//! media crate's `tests/content_checks.rs` covers each rule's edges.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Tenant, TestApp, fixture, spawn_app};

const HTML: &[u8] = b"<!doctype html><html><body><script>alert(document.domain)</script></body></html>\n";

fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(body.len() + 8).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// Uploads `bytes` and asserts the refusal: 400, 1104, a reason holding
/// `reason`, and no file stored.
async fn assert_refused(app: &TestApp, tenant: &Tenant, key: &str, context: &str, bytes: &[u8], reason: &str) {
    let session = app.create_session(tenant, json!({})).await;
    let before = app.stored_files().await;
    let reply = app.upload(tenant, &session, key, context, bytes).await;
    reply.assert_error(400, "1104");
    let said = reply.header("x-kycmedia-reason").unwrap_or_default();
    assert!(said.contains(reason), "reason {said:?} lacks {reason:?}");
    assert_eq!(app.stored_files().await, before);
}

#[tokio::test]
async fn a_heic_header_followed_by_html_is_refused_not_ranked_as_a_match() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let mut ispe = vec![0; 4];
    ispe.extend_from_slice(&4032u32.to_be_bytes());
    ispe.extend_from_slice(&3024u32.to_be_bytes());
    let mut meta = vec![0; 4];
    meta.extend_from_slice(&boxed(b"iprp", &boxed(b"ipco", &boxed(b"ispe", &ispe))));
    let mut bytes = boxed(b"ftyp", b"heic\0\0\0\0mif1heic");
    bytes.extend_from_slice(&boxed(b"meta", &meta));
    bytes.extend_from_slice(HTML);
    assert_refused(
        &app,
        &tenant,
        "image",
        "face",
        &bytes,
        "heif: a box runs past the end of the file",
    )
    .await;
}

#[tokio::test]
async fn a_pdf_header_followed_by_html_is_refused() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let bytes = [&b"%PDF-1.7\n"[..], HTML].concat();
    assert_refused(
        &app,
        &tenant,
        "image",
        "document-front",
        &bytes,
        "pdf: no `%%EOF` trailer",
    )
    .await;
}

#[tokio::test]
async fn an_mp4_cut_in_half_is_refused() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let bytes = fixture("selfid.mp4");
    let half = &bytes[..bytes.len() / 2];
    assert_refused(
        &app,
        &tenant,
        "video",
        "selfid_video",
        half,
        "`mdat` box runs past the end",
    )
    .await;
}

#[tokio::test]
async fn a_144_byte_video_stating_4294967295_seconds_is_refused() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let mut mvhd = vec![0; 12];
    mvhd.extend_from_slice(&1u32.to_be_bytes()); // one unit a second
    mvhd.extend_from_slice(&u32::MAX.to_be_bytes());
    mvhd.extend_from_slice(&[0, 1, 0, 0, 1, 0]);
    mvhd.extend_from_slice(&[0; 10]);
    for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        mvhd.extend_from_slice(&v.to_be_bytes());
    }
    mvhd.extend_from_slice(&[0; 24]);
    mvhd.extend_from_slice(&2u32.to_be_bytes());
    let mut bytes = boxed(b"ftyp", b"isom\0\0\x02\0isom");
    bytes.extend_from_slice(&boxed(b"moov", &boxed(b"mvhd", &mvhd)));
    bytes.extend_from_slice(&boxed(b"mdat", b""));
    assert_eq!(bytes.len(), 144);
    assert_refused(
        &app,
        &tenant,
        "video",
        "selfid_video",
        &bytes,
        "4294967295 s is implausible",
    )
    .await;
}

#[tokio::test]
async fn a_jpeg_declaring_10000_by_10000_pixels_over_a_few_bytes_of_data_is_refused() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let mut bytes = Vec::new();
    image::GrayImage::from_pixel(16, 16, image::Luma([128]))
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Jpeg)
        .unwrap();
    let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    bytes[sof + 5..sof + 9].copy_from_slice(&[0x27, 0x10, 0x27, 0x10]); // 10000 × 10000
    assert_refused(&app, &tenant, "image", "face", &bytes, "declares 10000x10000 pixels").await;
}

#[tokio::test]
async fn a_jpeg_with_a_zip_and_html_appended_is_stored_and_served_without_them() {
    let Some(app) = spawn_app().await else { return };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let jpeg = fixture("face.jpg");
    let mut zip = b"PK\x05\x06".to_vec();
    zip.resize(22, 0);
    let polyglot = [&jpeg[..], HTML, &zip].concat();
    let reply = app.upload(&tenant, &session, "image", "face", &polyglot).await;
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
    let image = &reply.json()["image"];
    assert_eq!(image["size"], jpeg.len());
    let id = image["id"].as_str().unwrap();
    let download = app.signed(Method::GET, &tenant, &format!("/v1/media/{id}"), id).await;
    assert_eq!(download.status, 200);
    assert!(download.body == jpeg, "the download is not the JPEG alone");
}
