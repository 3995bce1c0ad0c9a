//! The page's HTML, rendered here from the strings, and its script and
//! style, compiled into the binary.

use axum::response::{Html, Response};

use super::strings;
use crate::html::{asset, escape};

const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");

fn document(lang: &str, title: &str, script: bool, failed: &str, main: &str) -> Html<String> {
    let script = if script {
        r#"<script src="/capture/app.js" defer></script>"#
    } else {
        ""
    };
    Html(format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<link rel="stylesheet" href="/capture/app.css">
{script}
</head>
<body>
<main id="app" data-failed="{failed}">
{main}
</main>
</body>
</html>
"#,
        lang = escape(lang),
        title = escape(title),
        failed = escape(failed),
    ))
}

/// The shell the script fills in; without the script, a sentence why not.
pub fn flow_page(lang: &str) -> Html<String> {
    let s = strings::of(lang);
    let title = strings::get(s, "page.title");
    let main = format!(
        "<h1>{}</h1>\n<noscript><p>{}</p></noscript>",
        escape(title),
        escape(strings::get(s, "page.noscript"))
    );
    document(lang, title, true, strings::get(s, "error.failed"), &main)
}

/// A page that says why the link opens nothing (`code` from `Ended`).
pub fn ended_page(lang: &str, code: &str) -> Html<String> {
    let s = strings::of(lang);
    let heading = strings::get(s, &format!("ended.{code}-heading")).to_owned();
    let body = strings::get(s, &format!("ended.{code}-body")).to_owned();
    let main = format!("<h1>{}</h1>\n<p>{}</p>", escape(&heading), escape(&body));
    document(lang, &heading, false, "", &main)
}

pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}
