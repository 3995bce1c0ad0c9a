//! Builds a review list: for every attempt of a session, the best media of
//! each context, downloaded to a folder.
//!
//! ```text
//! export KYCMEDIA_BASE_URL=http://127.0.0.1:8080
//! export KYCMEDIA_API_KEY=...  KYCMEDIA_SHARED_SECRET=...
//! cargo run -p kycmedia-client --example review_list -- SESSION_ID OUT_DIR
//! ```
//!
//! Writes `OUT_DIR/<attempt id>/<context>.<ext>`. The API ranks each list
//! best first, so the best of a context is simply the first one listed.
//! Each file is downloaded under a temporary name and renamed only once its
//! signature is verified, so the folder never holds unverified bytes.

use std::{
    collections::HashSet,
    error::Error,
    path::{Path, PathBuf},
};

use kycmedia_client::{Client, MediaObject};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(session), Some(out_dir)) = (args.next(), args.next()) else {
        return Err("usage: review_list SESSION_ID OUT_DIR (credentials in KYCMEDIA_BASE_URL, KYCMEDIA_API_KEY, KYCMEDIA_SHARED_SECRET)".into());
    };
    let client = Client::builder(
        env("KYCMEDIA_BASE_URL")?,
        env("KYCMEDIA_API_KEY")?,
        env("KYCMEDIA_SHARED_SECRET")?,
    )
    .retries(2)
    .build()?;
    review(&client, &session, Path::new(&out_dir)).await?;
    Ok(())
}

/// Downloads the best media of each context of every attempt of `session`
/// into `out_dir/<attempt id>/<context>.<ext>`; returns the files written.
async fn review(client: &Client, session: &str, out_dir: &Path) -> Result<Vec<PathBuf>, Box<dyn Error>> {
    let mut written = Vec::new();
    let attempts = client.attempts(session).await?;
    for attempt in &attempts.verifications {
        let media = client.attempt_media(&attempt.id).await?;
        let folder = out_dir.join(&attempt.id);
        tokio::fs::create_dir_all(&folder).await?;
        let best = best_per_context(media.images.iter().chain(&media.videos));
        println!("attempt {} ({}): {} contexts", attempt.id, attempt.status, best.len());
        for item in best {
            let target = folder.join(format!("{}.{}", item.context, extension(&item.mimetype)));
            download_verified(client, item, &target).await?;
            println!("  {:<32} {:>10} bytes  {}", item.context, item.size, target.display());
            written.push(target);
        }
    }
    Ok(written)
}

/// The first (best ranked) media of each context, in listing order.
fn best_per_context<'a>(media: impl Iterator<Item = &'a MediaObject>) -> Vec<&'a MediaObject> {
    let mut seen = HashSet::new();
    media.filter(|m| seen.insert(m.context.as_str())).collect()
}

/// Downloads to `<target>.part` and renames on success; removes the part
/// file on any failure, a bad signature included.
async fn download_verified(client: &Client, item: &MediaObject, target: &Path) -> Result<(), Box<dyn Error>> {
    let part = target.with_extension("part");
    let mut file = tokio::fs::File::create(&part).await?;
    match client.download(&item.id, &mut file).await {
        Ok(_) => {
            drop(file);
            tokio::fs::rename(&part, target).await?;
            Ok(())
        }
        Err(error) => {
            drop(file);
            let _ = tokio::fs::remove_file(&part).await;
            Err(format!("media {}: {error}", item.id).into())
        }
    }
}

/// A file extension for a reported mimetype.
fn extension(mimetype: &str) -> &str {
    match mimetype {
        "image/jpeg" | "image/jpg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "image/heif" => "heif",
        "application/pdf" => "pdf",
        "video/mp4" => "mp4",
        "video/webm" => "webm",
        "video/quicktime" => "mov",
        _ => "bin",
    }
}

fn env(name: &str) -> Result<String, Box<dyn Error>> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

/// Run by `cargo test` (`test = true` in Cargo.toml): the example against a
/// real server, on an attempt with two faces and a document.
#[cfg(test)]
#[path = "../tests/sdk/server.rs"]
#[allow(dead_code, reason = "the SDK tests' server helpers, of which this test needs a few")]
mod server;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{fixture, spawn};

    #[tokio::test]
    async fn the_review_list_holds_the_best_media_of_each_context_and_nothing_else() {
        let server = spawn().await;
        let client = server.client(&server.tenant().await);
        let session = client.create_session(&Default::default()).await.unwrap();
        let id = &session.verification.id;
        client
            .upload_image(id, "face", &fixture("face-blurred.jpg"))
            .await
            .unwrap();
        client.upload_image(id, "face", &fixture("face.jpg")).await.unwrap();
        client
            .upload_image(id, "document-front", &fixture("document-front.jpg"))
            .await
            .unwrap();
        client.submit(id).await.unwrap();

        let out = tempfile::tempdir().unwrap();
        let written = review(&client, id, out.path()).await.unwrap();
        assert_eq!(written.len(), 2, "{written:?}");
        let face = written.iter().find(|p| p.ends_with("face.jpg")).unwrap();
        assert_eq!(
            std::fs::read(face).unwrap(),
            fixture("face.jpg"),
            "the sharp face, not the blurred one"
        );
        let document = written.iter().find(|p| p.ends_with("document-front.jpg")).unwrap();
        assert_eq!(std::fs::read(document).unwrap(), fixture("document-front.jpg"));
        let left: Vec<_> = std::fs::read_dir(face.parent().unwrap()).unwrap().collect();
        assert_eq!(left.len(), 2, "no partial files left behind");
    }
}
