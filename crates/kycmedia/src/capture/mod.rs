//! The capture page at a session's `verification.url` (`/v/{sessionToken}`):
//! where the integrator sends its end user to take the document and selfie
//! photos and submit, as on the provider's hosted page.
//!
//! The session token in the URL is the page's only credential: no API key
//! or secret ever reaches the browser. Every photo goes through the API's
//! own ingest path (sniffing, limits, analysis, attempt rules) and comes
//! back with advice in the person's language (`feedback`, `strings`).
//! Submit is the API's submit, with its `submitted` webhook. The page's
//! script and style are compiled in; it asks nothing of any other host, and
//! only the operator's allowed origins may frame it (`@veriff/incontext-sdk`).

mod feedback;
mod page;
pub mod steps;
mod strings;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Json, Router,
    extract::{ConnectInfo, Path, Query, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use kycmedia_proto::{ApiError, Status, transitions::Event};
use serde::Deserialize;
use serde_json::json;

use crate::{
    admission::{Bucket, client_address, retry_after_secs},
    error::AppError,
    ids::now_ms,
    ingest::{self, Upload},
    lifecycle,
    state::Core,
    store::Session,
};

use self::steps::Step;

/// What the capture page needs beyond the shared state.
pub struct Capture {
    pub core: Arc<Core>,
    /// Origins that may frame the page, as `serve --allowed-origins` lists them.
    pub allowed_origins: Vec<String>,
    /// A session older than this takes nothing, even before the expiry
    /// task has marked it expired.
    pub session_lifetime: Duration,
    /// The content security policy, built once from the allowed origins.
    policy: HeaderValue,
}

impl Capture {
    pub fn new(core: Arc<Core>, allowed_origins: Vec<String>, session_lifetime: Duration) -> Self {
        let policy = content_security_policy(&allowed_origins);
        Capture {
            core,
            allowed_origins,
            session_lifetime,
            policy,
        }
    }
}

/// The one flow the page offers for now (`steps` says how to add another).
const FLOW: &[Step] = steps::DOCUMENT_AND_SELFIE;

pub fn router(capture: Arc<Capture>) -> Router {
    let headers = capture.clone();
    Router::new()
        .route("/v/{token}", get(page))
        .route("/v/{token}/flow", get(flow))
        .route("/v/{token}/captures/{context}", post(upload))
        .route("/v/{token}/submit", post(submit))
        .route_layer(middleware::from_fn_with_state(capture.clone(), rate_limit))
        .route("/capture/app.js", get(page::script))
        .route("/capture/app.css", get(page::style))
        .with_state(capture)
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let capture = headers.clone();
            async move { with_page_headers(&capture, next.run(request).await) }
        }))
}

/// Every request for a link counts against its token and its address, in
/// the server's one set of rates (`admission`); over either limit it gets
/// `429` with `Retry-After`, before any work is done.
async fn rate_limit(State(capture): State<Arc<Capture>>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    let address = peer.map(|peer| client_address(peer, request.headers()));
    let token = request.uri().path().split('/').nth(2).unwrap_or_default().to_owned();
    let mut buckets = Vec::with_capacity(2);
    // The address first, so that trying many links from one place counts against that place.
    buckets.extend(address.map(Bucket::CaptureAddress));
    buckets.push(Bucket::CaptureLink(&token));
    match capture.core.admission.rates.check(&buckets) {
        Ok(()) => next.run(request).await,
        Err(wait) => busy(StatusCode::TOO_MANY_REQUESTS, wait),
    }
}

/// `{"error":"busy"}` with `Retry-After`.
fn busy(status: StatusCode, wait: Duration) -> Response {
    let mut response = (status, Json(json!({ "error": "busy" }))).into_response();
    if let Ok(value) = HeaderValue::from_str(&retry_after_secs(wait).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Headers on everything the page is made of: a strict content security
/// policy (this server only, no inline script, framed only by the allowed
/// origins), no referrer, nothing cached that shows a person's session.
/// This server only, no inline script, framed only by `origins`. Origins
/// come through `config::parse_origin`, so they always make a header; were
/// one not to, the page would be framed by no one rather than go without.
fn content_security_policy(origins: &[String]) -> HeaderValue {
    let policy = |ancestors: &str| {
        format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
             media-src 'self' blob: mediastream:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
             frame-ancestors {ancestors}"
        )
    };
    let ancestors = if origins.is_empty() {
        "'none'".to_owned()
    } else {
        origins.join(" ")
    };
    HeaderValue::from_str(&policy(&ancestors))
        .or_else(|_| HeaderValue::from_str(&policy("'none'")))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"))
}

fn with_page_headers(capture: &Capture, mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, capture.policy.clone());
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(self), microphone=()"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Why a token opens no flow: each gets a page that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// No such session (or a token of the wrong shape): 404.
    Unknown,
    /// Submitted already: 410.
    Submitted,
    /// Expired or abandoned, or past its lifetime: 410.
    Expired,
    /// Decided, or waiting for a review: 410.
    Decided,
}

impl Ended {
    fn status(self) -> StatusCode {
        match self {
            Ended::Unknown => StatusCode::NOT_FOUND,
            _ => StatusCode::GONE,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Ended::Unknown => "unknown",
            Ended::Submitted => "submitted",
            Ended::Expired => "expired",
            Ended::Decided => "decided",
        }
    }
}

/// A token as `lifecycle::create_session` makes them: 64 hex digits.
fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Capture {
    /// The session of a token, when it still takes photos.
    async fn open_session(&self, token: &str) -> Result<Session, PageError> {
        if !well_formed(token) {
            return Err(PageError::Ended(Ended::Unknown));
        }
        let session = self
            .core
            .store
            .session_by_token(token)
            .await
            .map_err(|e| PageError::Failed(e.to_string()))?
            .ok_or(PageError::Ended(Ended::Unknown))?;
        let age = Duration::from_millis(now_ms().saturating_sub(session.created_at).max(0) as u64);
        match session.status {
            _ if session.status.after(Event::Upload).is_some() && age < self.session_lifetime => Ok(session),
            Status::Submitted => Err(PageError::Ended(Ended::Submitted)),
            Status::Created | Status::Started | Status::Expired | Status::Abandoned => {
                Err(PageError::Ended(Ended::Expired))
            }
            _ => Err(PageError::Ended(Ended::Decided)),
        }
    }
}

/// What went wrong for the page: an ended session, a refused photo, or a
/// fault of ours. The page's script reads `error` and shows its words.
#[derive(Debug)]
enum PageError {
    Ended(Ended),
    Refused { status: StatusCode, code: &'static str },
    Failed(String),
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Api(refused) => match refused.error {
                ApiError::Conflict => PageError::Refused {
                    status: StatusCode::CONFLICT,
                    code: "closed",
                },
                ApiError::PayloadTooLarge => PageError::Refused {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    code: "too-large",
                },
                _ => PageError::Refused {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "not-an-image",
                },
            },
            AppError::Internal(e) => PageError::Failed(format!("{e:#}")),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            PageError::Ended(ended) => (ended.status(), ended.code()),
            PageError::Refused { status, code } => (status, code),
            PageError::Failed(detail) => {
                tracing::error!(error = %detail, "capture page");
                (StatusCode::INTERNAL_SERVER_ERROR, "failed")
            }
        };
        (status, Json(json!({ "error": code }))).into_response()
    }
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

fn language(query: &LangQuery, headers: &HeaderMap) -> &'static str {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    strings::choose(query.lang.as_deref(), accept)
}

/// `GET /v/{token}`: the page, or a page saying why there is none.
async fn page(
    State(capture): State<Arc<Capture>>,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = language(&query, &headers);
    match capture.open_session(&token).await {
        Ok(_) => page::flow_page(lang).into_response(),
        Err(PageError::Ended(ended)) => (ended.status(), page::ended_page(lang, ended.code())).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /v/{token}/flow`: the steps and the words, for the page's script.
async fn flow(
    State(capture): State<Arc<Capture>>,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let session = capture.open_session(&token).await?;
    let lang = language(&query, &headers);
    let steps: Vec<_> = FLOW
        .iter()
        .map(|step| {
            json!({
                "context": step.context.as_str(),
                "kind": step.context.kind().as_str(),
                "camera": step.camera.facing_mode(),
                "guide": step.guide.as_str(),
            })
        })
        .collect();
    Ok(Json(json!({
        "lang": lang,
        "strings": strings::of(lang),
        "steps": steps,
        "resubmission": session.status == Status::ResubmissionRequested,
    }))
    .into_response())
}

/// `POST /v/{token}/captures/{context}`: one photo, as the file itself
/// (not base64 JSON); its advice.
async fn upload(
    State(capture): State<Arc<Capture>>,
    Path((token, context)): Path<(String, String)>,
    request: Request,
) -> Result<Response, PageError> {
    let session = capture.open_session(&token).await?;
    let step = steps::find(FLOW, &context).ok_or(PageError::Ended(Ended::Unknown))?;
    let client = client_of(&request);
    let limit = capture.core.limits.max_body_bytes;
    let (headers, body) = request.into_parts();
    // `_room` holds the photo's bytes in the server's budget until it is stored.
    let (bytes, _room) = match capture.core.admission.read_body(&headers.headers, body, limit).await {
        Ok(read) => read,
        Err(ApiError::Busy) => return Ok(busy(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(1))),
        Err(_) => {
            return Err(PageError::Refused {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "too-large",
            });
        }
    };
    let upload = Upload {
        context: step.context,
        bytes: bytes.to_vec(),
    };
    let stored = ingest::upload_file(&capture.core, &session, upload).await;
    let media = stored.as_ref().ok().map(|(media, _)| media.id.clone());
    let status = stored.as_ref().map_or_else(|e| e.http_status(), |_| 201);
    record(
        &capture,
        &session,
        "POST /v/{token}/captures/{context}",
        client,
        status,
        media,
    )
    .await;
    let (_, evidence) = stored?;
    let hints: Vec<String> = feedback::hints(&evidence).into_iter().map(|h| h.code()).collect();
    Ok((
        StatusCode::CREATED,
        Json(json!({ "context": step.context.as_str(), "hints": hints })),
    )
        .into_response())
}

/// `POST /v/{token}/submit`: submits as `PATCH /v1/sessions/{id}` does;
/// where to send the person next (the session's `callback`, when it is a
/// web address).
async fn submit(
    State(capture): State<Arc<Capture>>,
    Path(token): Path<String>,
    request: Request,
) -> Result<Response, PageError> {
    let session = capture.open_session(&token).await?;
    let submitted = lifecycle::submit_session(&capture.core, &session.integration_id, &session.id).await;
    let status = submitted.as_ref().map_or_else(|e| e.http_status(), |_| 200);
    record(
        &capture,
        &session,
        "POST /v/{token}/submit",
        client_of(&request),
        status,
        None,
    )
    .await;
    submitted?;
    let redirect = session
        .callback
        .as_deref()
        .filter(|url| url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")));
    Ok(Json(json!({ "redirect": redirect })).into_response())
}

/// The client's address, as the audit trail records it.
fn client_of(request: &Request) -> Option<String> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| client_address(peer.ip(), request.headers()).to_string())
}

/// Records what the end user did to their session, and how it ended.
async fn record(
    capture: &Capture,
    session: &Session,
    action: &str,
    client: Option<String>,
    status: u16,
    media: Option<crate::ids::MediaId>,
) {
    let access = crate::audit::Access {
        actor: crate::audit::Actor::Capture,
        integration: Some(session.integration_id.clone()),
        secret_index: None,
        action: action.to_owned(),
        subject: crate::audit::Subject {
            session: Some(session.id.clone()),
            attempt: None,
            media,
        },
        client,
        status,
        reviewer: None,
    };
    capture.core.audit.record(access).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_that_cannot_be_a_header_frames_nothing_rather_than_dropping_the_policy() {
        let policy = content_security_policy(&["https://a.example\n".to_owned()]);
        let policy = policy.to_str().unwrap();
        assert!(
            policy.starts_with("default-src 'none'") && policy.ends_with("frame-ancestors 'none'"),
            "{policy}"
        );
        let policy = content_security_policy(&["https://a.example".to_owned(), "http://127.0.0.1:9".to_owned()]);
        assert!(
            policy
                .to_str()
                .unwrap()
                .ends_with("frame-ancestors https://a.example http://127.0.0.1:9")
        );
    }

    #[test]
    fn only_tokens_of_the_shape_sessions_are_given_are_looked_up() {
        assert!(well_formed(&"a1".repeat(32)));
        assert!(!well_formed("short"));
        assert!(!well_formed(&"z".repeat(64)));
        assert!(!well_formed(&format!("{}/", "a".repeat(63))));
    }
}
