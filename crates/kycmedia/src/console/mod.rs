//! The review console at `/console`: where the people who decide see each
//! waiting attempt's media in the API's order, with the analysis drawn over
//! them, and decide.
//!
//! Reviewers are apart from integrations (`reviewers`): they log in with a
//! name and password and get a session cookie (`HttpOnly`, `SameSite=Strict`,
//! `Secure` when the public URL is https), which lapses after an idle and an
//! absolute time. Every state-changing request must carry the session's
//! CSRF token in `X-CSRF-Token` and, when the browser names one, come from
//! this server's own origin. No API key or shared secret reaches the browser;
//! a case of an integration the reviewer is not given is missing (404).
//!
//! Decisions go through `admin::decide_as`, the path of `kycmedia decide`,
//! so the decision endpoint, the webhooks and the audit trail see them; every
//! view, download, decision and login leaves an audit row (`Actor::Reviewer`).

mod accounts;
mod cases;
mod media;
mod page;

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Json, Router,
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use secrecy::ExposeSecret;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::{
    admission::client_address,
    audit::{Access, Actor, Subject},
    reviewers::{self, Lifetimes, Role},
    state::Core,
    store::{ConsoleSession, Reviewer, StoreError},
};

/// The cookie that carries a console session's token.
const COOKIE: &str = "kycmedia_console";

/// What the console needs beyond the shared state.
pub struct Console {
    pub core: Arc<Core>,
    lifetimes: Lifetimes,
    /// The cookie is `Secure`: the public URL is https.
    secure: bool,
    /// This server's origin, as a browser sends it in `Origin`.
    origin: String,
}

impl Console {
    pub fn new(core: Arc<Core>, idle: std::time::Duration, lifetime: std::time::Duration) -> Self {
        let public = url::Url::parse(&core.public_url).ok();
        let secure = public.as_ref().is_some_and(|u| u.scheme() == "https");
        let origin = public.map(|u| u.origin().ascii_serialization()).unwrap_or_default();
        let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Console {
            core,
            lifetimes: Lifetimes {
                idle_ms: ms(idle),
                absolute_ms: ms(lifetime),
            },
            secure,
            origin,
        }
    }
}

/// The console's routes, each declared once.
pub fn router(console: Arc<Console>) -> Router {
    let signed_in = Router::new()
        .route("/console/api/me", get(accounts::me))
        .route("/console/api/logout", post(accounts::logout))
        .route("/console/api/password", post(accounts::password))
        .route("/console/api/queue", get(cases::queue))
        .route("/console/api/cases/{attempt}", get(cases::case))
        .route("/console/api/cases/{attempt}/assign", post(cases::assign))
        .route("/console/api/cases/{attempt}/release", post(cases::release))
        .route("/console/api/cases/{attempt}/decision", post(cases::decide))
        .route("/console/api/media/{media}", get(media::file))
        .route("/console/api/media/{media}/thumbnail", get(media::thumbnail))
        .route("/console/api/media/{media}/preview", get(media::preview))
        .route(
            "/console/api/reviewers",
            get(accounts::reviewers).post(accounts::add_reviewer),
        )
        .route("/console/api/reviewers/{id}/disable", post(accounts::disable_reviewer))
        .route(
            "/console/api/reviewers/{id}/reset-password",
            post(accounts::reset_password),
        )
        .route_layer(middleware::from_fn_with_state(console.clone(), signed_in));
    Router::new()
        .merge(signed_in)
        .route("/console", get(page::shell))
        .route("/console/cases/{attempt}", get(page::case_shell))
        .route("/console/reviewers", get(page::shell))
        .route("/console/api/login", post(accounts::login))
        .route("/console/assets/console.js", get(page::script))
        .route("/console/assets/console.css", get(page::style))
        .with_state(console)
        .layer(middleware::from_fn(with_console_headers))
}

/// A logged-in reviewer, as the handlers behind `signed_in` get it.
#[derive(Clone)]
pub struct SignedIn {
    pub session: ConsoleSession,
    pub reviewer: Reviewer,
}

impl SignedIn {
    fn role(&self) -> Role {
        Role::of(&self.reviewer)
    }
}

/// What the console answers when it refuses: `{"error": code}` and a status.
#[derive(Debug)]
pub enum Refusal {
    /// No session, or it ended: log in again.
    Login,
    /// The CSRF token or the origin is wrong.
    Csrf,
    /// A one-time password must be replaced first.
    Password,
    /// Not an admin.
    Forbidden,
    NotFound,
    /// Assigned to someone else.
    Taken(String),
    /// No longer waiting for a decision.
    Decided,
    Exists,
    Invalid(&'static str),
    /// Too many logins; wait this many seconds.
    Busy(u64),
    Failed(String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Refusal::Login => (StatusCode::UNAUTHORIZED, json!({ "error": "login" })),
            Refusal::Csrf => (StatusCode::FORBIDDEN, json!({ "error": "csrf" })),
            Refusal::Password => (StatusCode::FORBIDDEN, json!({ "error": "password" })),
            Refusal::Forbidden => (StatusCode::FORBIDDEN, json!({ "error": "forbidden" })),
            Refusal::NotFound => (StatusCode::NOT_FOUND, json!({ "error": "not-found" })),
            Refusal::Taken(by) => (StatusCode::CONFLICT, json!({ "error": "taken", "assignee": by })),
            Refusal::Decided => (StatusCode::CONFLICT, json!({ "error": "decided" })),
            Refusal::Exists => (StatusCode::CONFLICT, json!({ "error": "exists" })),
            Refusal::Invalid(field) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": "invalid", "field": field }),
            ),
            Refusal::Busy(secs) => {
                let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(json!({ "error": "busy" }))).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                return response;
            }
            Refusal::Failed(detail) => {
                tracing::error!(error = %detail, "review console");
                (StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": "failed" }))
            }
        };
        (status, Json(body)).into_response()
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Refusal::NotFound,
            StoreError::Conflict(_) => Refusal::Decided,
            other => Refusal::Failed(other.to_string()),
        }
    }
}

impl From<anyhow::Error> for Refusal {
    fn from(e: anyhow::Error) -> Self {
        Refusal::Failed(format!("{e:#}"))
    }
}

/// The console session's token from the request's cookies.
fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The reviewer whose session the request's cookie opens, if any.
async fn session_of(console: &Console, headers: &HeaderMap) -> Result<Option<SignedIn>, Refusal> {
    let Some(token) = cookie_token(headers) else {
        return Ok(None);
    };
    let found = reviewers::session(console.core.store.as_ref(), &token, console.lifetimes).await?;
    Ok(found.map(|(session, reviewer)| SignedIn { session, reviewer }))
}

/// Whether the browser says the request comes from this server's own
/// pages: `Sec-Fetch-Site` and `Origin` are set by the browser, not by a
/// page's script, so a cross-site form or fetch cannot pass. A request
/// with neither (a command-line client) is judged by its CSRF token alone.
fn same_origin(console: &Console, headers: &HeaderMap) -> bool {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if site.is_some_and(|s| s != "same-origin") {
        return false;
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    origin.is_none_or(|o| o == console.origin)
}

/// Routes behind a login: a session, the CSRF token on every request that
/// changes state, and a replaced one-time password before anything but
/// replacing it.
async fn signed_in(State(console): State<Arc<Console>>, mut request: Request, next: Next) -> Response {
    let signed = match session_of(&console, request.headers()).await {
        Ok(Some(signed)) => signed,
        Ok(None) => return Refusal::Login.into_response(),
        Err(refusal) => return refusal.into_response(),
    };
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let given = request
            .headers()
            .get("x-csrf-token")
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        let expected = signed.session.csrf_token.expose_secret().as_bytes();
        let token_ok: bool = given.ct_eq(expected).into();
        if !token_ok || !same_origin(&console, request.headers()) {
            return Refusal::Csrf.into_response();
        }
    }
    let path = request.uri().path();
    let allowed_before_password = matches!(
        path,
        "/console/api/me" | "/console/api/logout" | "/console/api/password"
    );
    if signed.reviewer.password_expired && !allowed_before_password {
        return Refusal::Password.into_response();
    }
    request.extensions_mut().insert(signed);
    next.run(request).await
}

/// The client's address, as the audit trail and the login limits take it.
fn client_of(request: &axum::http::request::Parts) -> Option<std::net::IpAddr> {
    request
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| client_address(peer.ip(), &request.headers))
}

/// What a reviewer's access touched, for its audit row: nothing but the
/// console, a case, or one of a case's media.
#[derive(Default)]
struct Touched {
    subject: Subject,
    integration: Option<crate::ids::IntegrationId>,
}

impl Touched {
    fn case(session: &crate::store::Session, attempt: &crate::ids::AttemptId) -> Touched {
        Touched {
            subject: Subject {
                session: Some(session.id.clone()),
                attempt: Some(attempt.clone()),
                media: None,
            },
            integration: Some(session.integration_id.clone()),
        }
    }

    fn media(media: &crate::store::Media) -> Touched {
        Touched {
            subject: Subject {
                session: Some(media.session_id.clone()),
                attempt: Some(media.attempt_id.clone()),
                media: Some(media.id.clone()),
            },
            integration: Some(media.integration_id.clone()),
        }
    }
}

/// Records a reviewer's action (`action` is the route template) and how
/// it ended, with the client's address from the request.
async fn record(
    console: &Console,
    reviewer: Option<&Reviewer>,
    request: &axum::http::request::Parts,
    action: &str,
    touched: Touched,
    status: u16,
) {
    let access = Access {
        actor: Actor::Reviewer,
        integration: touched.integration,
        secret_index: None,
        action: action.to_owned(),
        subject: touched.subject,
        client: client_of(request).map(|c| c.to_string()),
        status,
        reviewer: reviewer.map(|r| r.id.clone()),
    };
    console.core.audit.record(access).await;
}

/// Headers on everything the console serves: this server only, no inline
/// script or style, never framed, no referrer, nothing cached, no camera.
async fn with_console_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
             media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_token_is_read_from_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; kycmedia_console=abc ; b=2"),
        );
        assert_eq!(cookie_token(&headers).as_deref(), Some("abc"));
        headers.insert(header::COOKIE, HeaderValue::from_static("kycmedia_consoleX=abc"));
        assert_eq!(cookie_token(&headers), None);
    }
}
