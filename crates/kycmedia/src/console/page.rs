//! The console's HTML: one shell per page, which the script fills in from
//! the console's JSON calls; the script and style compiled into the binary.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode, Uri},
    response::{Html, IntoResponse, Response},
};
use secrecy::ExposeSecret;

use super::{Console, SignedIn, session_of};
use crate::{
    html::{asset, escape},
    ids::AttemptId,
    reviewers::Role,
};

const SCRIPT: &str = include_str!("assets/console.js");
const STYLE: &str = include_str!("assets/console.css");

/// Which page the script builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Login,
    Password,
    Queue,
    Case,
    Reviewers,
    Missing,
}

impl Page {
    fn as_str(self) -> &'static str {
        match self {
            Page::Login => "login",
            Page::Password => "password",
            Page::Queue => "queue",
            Page::Case => "case",
            Page::Reviewers => "reviewers",
            Page::Missing => "missing",
        }
    }
}

fn document(page: Page, signed: Option<&SignedIn>, case: Option<&AttemptId>) -> Html<String> {
    let csrf = signed.map_or("", |s| s.session.csrf_token.expose_secret());
    let me = signed.map_or("", |s| s.reviewer.name.as_str());
    let role = signed.map_or("", |s| s.role().as_str());
    let case = case.map_or("", |c| c.as_str());
    Html(format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="csrf-token" content="{csrf}">
<title>kycmedia review</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<main id="console" data-page="{page}" data-case="{case}" data-me="{me}" data-role="{role}">
<noscript><p>The review console needs JavaScript.</p></noscript>
</main>
</body>
</html>
"#,
        csrf = escape(csrf),
        page = page.as_str(),
        case = escape(case),
        me = escape(me),
        role = role,
    ))
}

/// The page for a logged-in reviewer at `wanted`, or the one they must see first.
fn page_for(signed: Option<&SignedIn>, wanted: Page) -> Page {
    match signed {
        None => Page::Login,
        Some(s) if s.reviewer.password_expired => Page::Password,
        Some(s) if wanted == Page::Reviewers && s.role() != Role::Admin => Page::Missing,
        Some(_) => wanted,
    }
}

fn answer(page: Page, signed: Option<&SignedIn>, case: Option<&AttemptId>) -> Response {
    let status = if page == Page::Missing {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    (status, document(page, signed, case)).into_response()
}

/// `GET /console` (the queue) and `GET /console/reviewers` (admins).
pub async fn shell(State(console): State<Arc<Console>>, uri: Uri, headers: HeaderMap) -> Response {
    let signed = match session_of(&console, &headers).await {
        Ok(signed) => signed,
        Err(refusal) => return refusal.into_response(),
    };
    let wanted = if uri.path() == "/console/reviewers" {
        Page::Reviewers
    } else {
        Page::Queue
    };
    answer(page_for(signed.as_ref(), wanted), signed.as_ref(), None)
}

/// `GET /console/cases/{attempt}`: 404 for an attempt the reviewer may not
/// see, exactly as for one that does not exist.
pub async fn case_shell(
    State(console): State<Arc<Console>>,
    Path(attempt): Path<String>,
    headers: HeaderMap,
) -> Response {
    let signed = match session_of(&console, &headers).await {
        Ok(signed) => signed,
        Err(refusal) => return refusal.into_response(),
    };
    let attempt = AttemptId::from(attempt);
    let page = page_for(signed.as_ref(), Page::Case);
    if page == Page::Case
        && let Some(s) = &signed
    {
        match console.core.store.reviews().case(&s.reviewer.id, &attempt).await {
            Ok(Some(_)) => {}
            Ok(None) => return answer(Page::Missing, signed.as_ref(), None),
            Err(e) => return super::Refusal::from(e).into_response(),
        }
    }
    answer(page, signed.as_ref(), Some(&attempt))
}

pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}
