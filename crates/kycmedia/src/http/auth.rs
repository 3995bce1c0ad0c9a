//! Authentication and response signing (docs/api.md §1).
//!
//! One middleware does both, because the response must be signed with the
//! very secret that verified the request: it checks the API key and the
//! signature, hands the handler a `Caller`, then signs whatever the handler
//! answers (errors included). Nothing here logs a header, key or secret.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use secrecy::ExposeSecret;

use axum::{
    body::{Body, Bytes, to_bytes},
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::{HeaderMap, HeaderValue, Method, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use kycmedia_proto::{
    ApiError,
    signing::{self, AUTH_CLIENT_HEADER, HMAC_HEADER, LEGACY_HEADER, Scheme},
};

use crate::{
    admission::{BodyRoom, Bucket, client_address},
    audit,
    error::{AppError, Rejection},
    http::error::{rejection_response, retry_later, unauthenticated},
    state::Core,
    store::{Credentials, Integration, RequestNonce},
};

/// Who made a request, and how to sign the answer.
#[derive(Clone)]
pub struct Caller {
    credentials: Arc<Credentials>,
    /// Which of the integration's secrets verified the request (the newest,
    /// 0, for an unsigned session creation): an index, so that a request
    /// copies no secret.
    secret_index: usize,
    pub scheme: Scheme,
}

impl Caller {
    /// The integration the request was verified as.
    pub fn integration(&self) -> &Integration {
        &self.credentials.integration
    }

    /// The secret that verified the request, to sign the answer with.
    pub fn secret(&self) -> &[u8] {
        self.credentials.secrets[self.secret_index].expose_secret().as_bytes()
    }

    /// The response headers that vouch for `signature`.
    pub fn signature_headers(&self, signature: &str) -> [(&'static str, HeaderValue); 2] {
        [
            (AUTH_CLIENT_HEADER, header_value(&self.credentials.integration.api_key)),
            (self.scheme.header(), header_value(signature)),
        ]
    }
}

fn header_value(text: &str) -> HeaderValue {
    // API keys are UUIDs and signatures hex: always valid header text.
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Put on a response whose handler signed it already (a streamed download).
#[derive(Clone, Copy)]
pub struct PreSigned;

/// GET and DELETE sign the bare id in the path; everything else signs the body.
fn signs_body(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::DELETE | Method::HEAD)
}

/// Finds the signature header: the current scheme wins over the legacy one.
fn signature_header(headers: &HeaderMap) -> Option<(Scheme, &HeaderValue)> {
    headers
        .get(HMAC_HEADER)
        .map(|v| (Scheme::Hmac, v))
        .or_else(|| headers.get(LEGACY_HEADER).map(|v| (Scheme::Legacy, v)))
}

fn mismatch(scheme: Scheme, body: bool) -> ApiError {
    match (scheme, body) {
        (Scheme::Hmac, false) => ApiError::IdSignatureMismatch,
        (Scheme::Hmac, true) => ApiError::BodySignatureMismatch,
        (Scheme::Legacy, false) => ApiError::LegacyIdSignatureMismatch,
        (Scheme::Legacy, true) => ApiError::LegacyBodySignatureMismatch,
    }
}

/// Whether a route's requests must carry a signature. Each route is
/// declared in the group of its policy (`http::api_routes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signature {
    /// A signature is checked when sent; unsigned requests are answered,
    /// signed with the integration's newest secret (`POST /v1/sessions`).
    Optional,
    Required,
}

/// The authentication layer's state: the shared core and the policy of the
/// routes it guards.
#[derive(Clone)]
pub struct Gate {
    pub core: Arc<Core>,
    pub signature: Signature,
}

/// The id a GET or DELETE signs: the raw path segment where the matched
/// route has `{id}`, exactly as the client sent it.
fn signed_id<'a>(route: &str, path: &'a str) -> &'a str {
    route
        .split('/')
        .zip(path.split('/'))
        .find(|(template, _)| *template == "{id}")
        .map_or("", |(_, raw)| raw)
}

/// The authentication layer: verifies the request, runs the handler, then
/// signs its answer with the secret that verified the request.
pub async fn authenticate(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    // `_room` holds the body's bytes in the server's budget until the answer is made.
    let (caller, body, _room) = match verify(&gate, &parts, body).await {
        Ok(verified) => verified,
        Err(refusal) => return refusal,
    };
    if parts.method == Method::DELETE {
        // The provider's limit on deletes, counted once the signature holds.
        let integration = caller.integration().id.as_str();
        if let Err(wait) = gate.core.admission.rates.check(&[Bucket::Delete(integration)]) {
            let refusal = retry_later(ApiError::TooManyRequests, wait, None);
            return sign_response(refusal, &caller).await;
        }
    }
    let mut access = access(&parts, &caller);
    let mut parts = parts;
    parts.extensions.insert(caller.clone());
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    access.status = response.status().as_u16();
    if let Some(created) = response.extensions().get::<audit::Subject>() {
        let subject = &mut access.subject;
        subject.session = subject.session.take().or_else(|| created.session.clone());
        subject.attempt = subject.attempt.take().or_else(|| created.attempt.clone());
        subject.media = subject.media.take().or_else(|| created.media.clone());
    }
    gate.core.audit.record(access).await;
    if response.extensions().get::<PreSigned>().is_some() {
        return response;
    }
    sign_response(response, &caller).await
}

/// A verified request's audit row, but for its outcome: the route, the
/// caller, the client, and the id the path names (when it is one: another
/// string is a 404 and names nothing).
fn access(parts: &Parts, caller: &Caller) -> audit::Access {
    let route = parts.extensions.get::<MatchedPath>().map_or("", |m| m.as_str());
    let id = signed_id(route, parts.uri.path());
    let id = uuid::Uuid::try_parse(id).ok().map(|u| u.hyphenated().to_string());
    let named = route
        .split('/')
        .zip(route.split('/').skip(1))
        .find(|(_, next)| *next == "{id}")
        .map(|(kind, _)| kind);
    let mut subject = audit::Subject::default();
    match (named, id) {
        (Some("sessions"), Some(id)) => subject.session = Some(id.into()),
        (Some("attempts"), Some(id)) => subject.attempt = Some(id.into()),
        (Some("media"), Some(id)) => subject.media = Some(id.into()),
        _ => {}
    }
    let client = client(parts).map(|address| address.to_string());
    audit::Access {
        actor: audit::Actor::Integration,
        integration: Some(caller.integration().id.clone()),
        secret_index: Some(caller.secret_index),
        action: format!("{} {route}", parts.method),
        subject,
        client,
        status: 0,
        reviewer: None,
    }
}

/// The client's address, when the connection gave its peer's.
fn client(parts: &Parts) -> Option<IpAddr> {
    let ConnectInfo(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>()?;
    Some(client_address(peer.ip(), &parts.headers))
}

/// Checks the API key, reads the body (bounded) and checks the signature;
/// returns who called and the body, or the unsigned refusal.
async fn verify(gate: &Gate, parts: &Parts, body: Body) -> Result<(Caller, Bytes, BodyRoom), Response> {
    let core = &gate.core;
    let sent_key = parts.headers.get(AUTH_CLIENT_HEADER).cloned();
    let fail = |e: ApiError| match e {
        ApiError::Busy => retry_later(e, Duration::from_secs(1), sent_key.clone()),
        e => unauthenticated(e, sent_key.clone()),
    };
    let rates = &core.admission.rates;
    // Before any lookup: a flood of made-up keys counts against its address.
    if let Some(address) = client(parts)
        && let Err(wait) = rates.check(&[Bucket::Address(address)])
    {
        return Err(retry_later(ApiError::TooManyRequests, wait, sent_key.clone()));
    }

    let Some(raw_key) = &sent_key else {
        return Err(fail(ApiError::MissingApiKey));
    };
    let Some(api_key) = raw_key
        .to_str()
        .ok()
        .and_then(|k| uuid::Uuid::try_parse(k.trim()).ok())
        .map(|k| k.hyphenated().to_string())
    else {
        return Err(fail(ApiError::MalformedApiKey));
    };
    let credentials = match core.integrations.get(core.store.as_ref(), &api_key).await {
        Ok(Some(found)) => found,
        Ok(None) => return Err(fail(ApiError::UnknownIntegration)),
        Err(e) => return Err(AppError::from(e).into_response()),
    };
    if !credentials.integration.active {
        return Err(fail(ApiError::InactiveIntegration));
    }
    // Before the body is read: a tenant over its rate costs no memory.
    if let Err(wait) = rates.check(&[Bucket::Integration(credentials.integration.id.as_str())]) {
        return Err(retry_later(ApiError::TooManyRequests, wait, sent_key.clone()));
    }

    let with_body = signs_body(&parts.method);
    let (body, room) = if with_body {
        core.admission
            .read_body(&parts.headers, body, core.limits.max_body_bytes)
            .await
            .map_err(&fail)?
    } else {
        (Bytes::new(), BodyRoom::default())
    };
    let provider_payload: &[u8] = if with_body {
        &body
    } else {
        let route = parts.extensions.get::<MatchedPath>().map_or("", |m| m.as_str());
        signed_id(route, parts.uri.path()).as_bytes()
    };
    // Replay protection, for an integration that opted in: the signature
    // covers time, nonce, method and path too (docs/api.md §1.7).
    let protected = match credentials.integration.replay_window_secs {
        Some(window) => {
            Some(replay_guard(parts, window, provider_payload).map_err(|reason| replayed(reason, sent_key.clone()))?)
        }
        None => None,
    };
    let payload: &[u8] = protected.as_ref().map_or(provider_payload, |(bytes, _)| bytes);

    let caller = match signature_header(&parts.headers) {
        None if gate.signature == Signature::Optional && !credentials.secrets.is_empty() => Caller {
            secret_index: 0,
            credentials: credentials.clone(),
            scheme: Scheme::Hmac,
        },
        None => return Err(fail(ApiError::MissingSignature)),
        Some((scheme, value)) => {
            let Some(signature) = value.to_str().ok().and_then(signing::parse_signature) else {
                return Err(fail(ApiError::MalformedSignature));
            };
            let verified = credentials
                .secrets
                .iter()
                .position(|secret| signing::verify(scheme, secret.expose_secret().as_bytes(), payload, &signature));
            match verified {
                Some(secret_index) => Caller {
                    secret_index,
                    credentials: credentials.clone(),
                    scheme,
                },
                None => return Err(fail(mismatch(scheme, with_body))),
            }
        }
    };
    if let Some((_, nonce)) = protected {
        if caller.scheme != Scheme::Hmac {
            return Err(fail(ApiError::Replayed));
        }
        let seen = RequestNonce {
            integration_id: credentials.integration.id.clone(),
            nonce,
            seen_at: crate::ids::now_ms(),
        };
        match core.store.use_nonce(&seen).await {
            Ok(true) => {}
            Ok(false) => return Err(replayed("this nonce was used before".to_owned(), sent_key)),
            Err(e) => return Err(AppError::from(e).into_response()),
        }
    }
    Ok((caller, body, room))
}

/// Replay protection's refusal, with the reason and the API key echoed.
fn replayed(reason: String, api_key: Option<HeaderValue>) -> Response {
    let mut response = rejection_response(&Rejection::new(ApiError::Replayed, reason));
    if let Some(key) = api_key {
        response.headers_mut().insert(AUTH_CLIENT_HEADER, key);
    }
    response
}

/// The bytes a replay-protected request signs, and its nonce; or why the
/// request cannot be one (the reason, for the `X-Kycmedia-Reason` header).
fn replay_guard(parts: &Parts, window_secs: i64, payload: &[u8]) -> Result<(Vec<u8>, String), String> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(timestamp), Some(nonce)) = (header(signing::TIMESTAMP_HEADER), header(signing::NONCE_HEADER)) else {
        return Err("this integration requires X-Kycmedia-Timestamp and X-Kycmedia-Nonce".to_owned());
    };
    let Ok(at) = timestamp.parse::<i64>() else {
        return Err("X-Kycmedia-Timestamp must be Unix seconds".to_owned());
    };
    let skew = crate::ids::now_ms() / 1000 - at;
    if skew.abs() > window_secs {
        return Err(format!(
            "X-Kycmedia-Timestamp is {skew} s from the server's clock, outside the {window_secs} s window"
        ));
    }
    if !signing::well_formed_nonce(nonce) {
        return Err("X-Kycmedia-Nonce must be 16 to 128 of A-Z a-z 0-9 - _".to_owned());
    }
    let signed = signing::replay_protected_payload(timestamp, nonce, parts.method.as_str(), parts.uri.path(), payload);
    Ok((signed, nonce.to_owned()))
}

/// Signs the exact bytes of a buffered response body.
async fn sign_response(response: Response, caller: &Caller) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => return AppError::Internal(anyhow::anyhow!("buffering a response: {e}")).into_response(),
    };
    let signature = signing::sign(caller.scheme, caller.secret(), &bytes);
    for (name, value) in caller.signature_headers(&signature) {
        parts.headers.insert(name, value);
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::signed_id;

    #[test]
    fn the_signed_id_is_the_raw_segment_where_the_matched_route_has_its_id() {
        assert_eq!(
            signed_id("/v1/attempts/{id}/media", "/v1/attempts/AbC%20x/media"),
            "AbC%20x"
        );
        assert_eq!(
            signed_id("/kycmedia/v1/media/{id}/analysis", "/kycmedia/v1/media/7/analysis"),
            "7"
        );
        assert_eq!(signed_id("/v1/sessions", "/v1/sessions"), "");
    }
}
