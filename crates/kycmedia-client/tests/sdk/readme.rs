//! The README's SDK example, line for line, against a real server.

use kycmedia_client::{Client, NewSession};

use crate::server::{fixture, fixture_path, spawn};

#[tokio::test]
async fn the_readme_example_uploads_submits_and_lists_the_best_media_first() -> Result<(), kycmedia_client::Error> {
    let server = spawn().await;
    let tenant = server.tenant().await;
    let (base_url, api_key, secret) = (server.base.as_str(), tenant.api_key.as_str(), tenant.secret.as_str());
    let face_jpg = fixture_path("face.jpg"); // the README says "face.jpg"

    // --- README: five lines ---
    let client = Client::new(base_url, api_key, secret)?;
    let session = client.create_session(&NewSession::new()).await?;
    client.upload_file(&session.verification.id, "face", &face_jpg).await?;
    client.submit(&session.verification.id).await?;
    let media = client.session_media(&session.verification.id).await?; // best first, verified
    // --- end ---

    assert_eq!(media.images.len(), 1);
    assert_eq!(media.images[0].size as usize, fixture("face.jpg").len());
    Ok(())
}
