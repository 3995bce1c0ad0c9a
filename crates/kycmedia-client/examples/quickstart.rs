use kycmedia_client::{Client, Error, MediaList, NewSession};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let var = |name: &str| std::env::var(name).map_err(|_| Error::Invalid(format!("set {name}")));
    let client = Client::new(
        var("KYCMEDIA_BASE_URL")?,
        var("KYCMEDIA_API_KEY")?,
        var("KYCMEDIA_SHARED_SECRET")?,
    )?;
    let media = upload_and_list(&client, "fixtures/face.jpg").await?;
    for image in &media.images {
        println!("{} {} {} bytes", image.context, image.mimetype, image.size);
    }
    Ok(())
}

/// Uploads a photo into a new session, submits it, and returns the
/// session's media, best first; every answer's signature was verified.
pub async fn upload_and_list(client: &Client, photo: &str) -> Result<MediaList, Error> {
    let session = client.create_session(&NewSession::new()).await?;
    let id = &session.verification.id;
    client.upload_file(id, "face", photo).await?;
    client.submit(id).await?;
    Ok(client.session_media(id).await?.into_value())
}
