//! The README's SDK example, which is `examples/quickstart.rs` byte for
//! byte, against a real server.

use crate::server::{fixture, fixture_path, spawn};

#[allow(
    dead_code,
    reason = "the example's main reads the environment; the test calls the rest"
)]
#[path = "../../examples/quickstart.rs"]
mod quickstart;

const EXAMPLE: &str = include_str!("../../examples/quickstart.rs");
const README: &str = include_str!("../../../../README.md");

/// The body of the fenced block of `language` that follows `marker`.
fn block_after<'a>(text: &'a str, marker: &str, language: &str) -> &'a str {
    let after = &text[text.find(marker).unwrap_or_else(|| panic!("README lacks {marker}"))..];
    let fence = format!("```{language}\n");
    let start = after.find(&fence).expect("a fenced block") + fence.len();
    let end = after[start..].find("```\n").expect("a closing fence") + start;
    &after[start..end]
}

#[test]
fn the_readme_shows_the_whole_example_with_its_dependency_lines() {
    assert_eq!(block_after(README, "<!-- sdk-example -->", "rust"), EXAMPLE);
    let manifest = block_after(README, "<!-- sdk-example -->", "toml");
    assert!(manifest.contains("kycmedia-client = { path = "), "{manifest}");
    assert!(manifest.contains("tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }"));
}

#[tokio::test]
async fn the_readme_example_uploads_submits_and_lists_the_best_media_first() -> Result<(), kycmedia_client::Error> {
    let server = spawn().await;
    let client = server.client(&server.tenant().await);
    let photo = fixture_path("face.jpg");
    let media = quickstart::upload_and_list(&client, photo.to_str().unwrap()).await?;
    assert_eq!(media.images.len(), 1);
    assert_eq!(media.images[0].size as usize, fixture("face.jpg").len());
    Ok(())
}
