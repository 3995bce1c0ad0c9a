//! `/docs` works offline: every asset the page loads comes from this
//! server, and Swagger UI's online validator (a request to a third party
//! from every reader's browser) is off.

use reqwest::Method;

use crate::helpers::spawn_app;

/// The `src="…"` and `href="…"` targets in an HTML page.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for piece in html.split(attribute).skip(1) {
            if let Some(end) = piece.find('"') {
                found.push(piece[..end].to_owned());
            }
        }
    }
    found
}

#[tokio::test]
async fn the_docs_page_loads_only_this_servers_assets_and_never_asks_the_online_validator() {
    let Some(app) = spawn_app().await else { return };
    let page = app.send(Method::GET, "/docs/", &[], None).await;
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body).into_owned();
    let assets = references(&html);
    assert!(assets.len() >= 4, "{assets:?}");
    for asset in &assets {
        assert!(
            !asset.contains("://") && !asset.starts_with("//"),
            "the page loads {asset} from elsewhere"
        );
        let reply = app
            .send(
                Method::GET,
                &format!("/docs/{}", asset.trim_start_matches("./")),
                &[],
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "{asset}");
    }
    let initializer = app.send(Method::GET, "/docs/swagger-initializer.js", &[], None).await;
    let script = String::from_utf8_lossy(&initializer.body);
    assert!(script.contains(r#""validatorUrl": "none""#), "{script}");
    assert!(!script.contains("http://") && !script.contains("https://"), "{script}");
}
