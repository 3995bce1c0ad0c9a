//! Session endpoints: create, submit, delete, list attempts.

use std::sync::Arc;

use axum::{Extension, Json, body::Bytes, extract::State, http::StatusCode};
use kycmedia_proto::{
    ApiError, FailBody,
    decision::{DecisionResponse, TechnicalData},
    wire::{AttemptList, AttemptObject, DeleteResponse, DeletedSession, SUCCESS, SessionObject, SessionResponse},
};

use crate::{
    error::AppResult,
    http::{auth::Caller, ids::PathId},
    ids::{SessionId, rfc3339_ms},
    lifecycle,
    state::Core,
    store::{Session, decision_object},
};

fn session_response(core: &Core, session: &Session) -> SessionResponse {
    SessionResponse {
        status: SUCCESS.to_owned(),
        verification: SessionObject {
            id: session.id.to_string(),
            url: format!("{}/v/{}", core.public_url, session.session_token),
            vendor_data: session.vendor_data.clone(),
            host: core.public_url.clone(),
            status: session.status.as_str().to_owned(),
            session_token: session.session_token.clone(),
        },
    }
}

/// Create a verification session. The signature is optional here, as on the
/// hosted API; when sent it is checked.
#[utoipa::path(post, path = "/v1/sessions", tag = "sessions",
    params(("X-AUTH-CLIENT" = String, Header, description = "API key"),
           ("X-HMAC-SIGNATURE" = Option<String>, Header, description = "HMAC-SHA256 of the body")),
    request_body(content = serde_json::Value, description = "`{\"verification\":{...}}`"),
    responses((status = 201, body = SessionResponse), (status = 400, body = FailBody), (status = 401, body = FailBody)))]
pub async fn create(
    State(core): State<Arc<Core>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> AppResult<(StatusCode, Json<SessionResponse>)> {
    let request = lifecycle::parse_session_request(&body)?;
    let session = lifecycle::create_session(&core, caller.integration(), request).await?;
    Ok((StatusCode::CREATED, Json(session_response(&core, &session))))
}

/// Submit the session: closes its current attempt for a decision.
#[utoipa::path(patch, path = "/v1/sessions/{id}", tag = "sessions",
    params(("id" = String, Path, description = "Session id"),
           ("X-AUTH-CLIENT" = String, Header, description = "API key"),
           ("X-HMAC-SIGNATURE" = String, Header, description = "HMAC-SHA256 of the body")),
    request_body(content = serde_json::Value, description = "`{\"verification\":{\"status\":\"submitted\"}}`"),
    responses((status = 200, body = SessionResponse), (status = 400, body = FailBody),
              (status = 401, body = FailBody), (status = 404, body = FailBody)))]
pub async fn submit(
    State(core): State<Arc<Core>>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<SessionId>,
    body: Bytes,
) -> AppResult<Json<SessionResponse>> {
    let session = lifecycle::submit(&core, caller.integration(), &id, &body).await?;
    Ok(Json(session_response(&core, &session)))
}

/// Delete the session, its attempts, media rows and stored bytes.
#[utoipa::path(delete, path = "/v1/sessions/{id}", tag = "sessions",
    params(("id" = String, Path, description = "Session id"),
           ("X-AUTH-CLIENT" = String, Header, description = "API key"),
           ("X-HMAC-SIGNATURE" = String, Header, description = "HMAC-SHA256 of the session id")),
    responses((status = 200, body = DeleteResponse), (status = 401, body = FailBody), (status = 404, body = FailBody),
              (status = 429, body = FailBody, description = "Over the provider's delete limit: 5 an hour, 10 a day")))]
pub async fn delete(
    State(core): State<Arc<Core>>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<SessionId>,
) -> AppResult<Json<DeleteResponse>> {
    lifecycle::delete_session(&core, caller.integration(), &id).await?;
    Ok(Json(DeleteResponse {
        status: SUCCESS.to_owned(),
        verification: DeletedSession { id: id.into() },
    }))
}

/// The session's decision: `verification` is `null` until there is one.
#[utoipa::path(get, path = "/v1/sessions/{id}/decision", tag = "sessions",
    params(("id" = String, Path, description = "Session id"),
           ("X-AUTH-CLIENT" = String, Header, description = "API key"),
           ("X-HMAC-SIGNATURE" = String, Header, description = "HMAC-SHA256 of the session id")),
    responses((status = 200, body = DecisionResponse), (status = 400, body = FailBody),
              (status = 401, body = FailBody), (status = 404, body = FailBody)))]
pub async fn decision(
    State(core): State<Arc<Core>>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<SessionId>,
) -> AppResult<Json<DecisionResponse>> {
    let integration = &caller.integration().id;
    let session = core.store.session(integration, &id).await?.ok_or(ApiError::NotFound)?;
    let verification = core
        .store
        .decision(integration, &id)
        .await?
        .map(|(decision, attempt)| decision_object(&session, &decision, attempt.submitted_at));
    Ok(Json(DecisionResponse {
        status: SUCCESS.to_owned(),
        verification,
        technical_data: TechnicalData::default(),
    }))
}

/// List the session's attempts, newest first.
#[utoipa::path(get, path = "/v1/sessions/{id}/attempts", tag = "sessions",
    params(("id" = String, Path, description = "Session id"),
           ("X-AUTH-CLIENT" = String, Header, description = "API key"),
           ("X-HMAC-SIGNATURE" = String, Header, description = "HMAC-SHA256 of the session id")),
    responses((status = 200, body = AttemptList), (status = 401, body = FailBody), (status = 404, body = FailBody)))]
pub async fn attempts(
    State(core): State<Arc<Core>>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<SessionId>,
) -> AppResult<Json<AttemptList>> {
    let integration = &caller.integration().id;
    core.store.session(integration, &id).await?.ok_or(ApiError::NotFound)?;
    let attempts = core.store.attempts(integration, &id).await?;
    Ok(Json(AttemptList {
        status: SUCCESS.to_owned(),
        verifications: attempts
            .into_iter()
            .map(|a| AttemptObject {
                id: a.id.into(),
                status: a.status.as_str().to_owned(),
                created_time: rfc3339_ms(a.created_at),
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn created_time_is_rfc3339_utc_with_milliseconds() {
        assert_eq!(crate::ids::rfc3339_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
