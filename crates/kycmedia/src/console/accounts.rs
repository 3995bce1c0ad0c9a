//! Logging in and out, choosing a password, and the admins' page of
//! reviewers.

use std::sync::Arc;

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{COOKIE, Console, Refusal, SignedIn, Touched, client_of, cookie_token, record, same_origin};
use crate::{
    admission::{Bucket, retry_after_secs},
    ids::{IntegrationId, ReviewerId},
    reviewers::{self, Refused, Role},
    store::{Reviewer, StoreError},
};

/// A JSON body of the console's calls, or `invalid`.
fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|_| Refusal::Invalid("body"))
}

#[derive(Deserialize)]
struct Login {
    name: String,
    password: SecretString,
}

/// `POST /console/api/login`: `204` with the session cookie, `401
/// invalid`, or `429 busy` past five tries a minute for a name (thirty
/// for an address). Only from this server's own pages.
pub async fn login(State(console): State<Arc<Console>>, parts: Parts, body: Bytes) -> Response {
    const ACTION: &str = "POST /console/api/login";
    let client = client_of(&parts);
    if !same_origin(&console, &parts.headers) {
        return Refusal::Csrf.into_response();
    }
    let Ok(given) = parse::<Login>(&body) else {
        return Refusal::Invalid("body").into_response();
    };
    let mut buckets = Vec::with_capacity(2);
    buckets.extend(client.map(Bucket::LoginAddress));
    buckets.push(Bucket::LoginName(&given.name));
    if let Err(wait) = console.core.admission.rates.check(&buckets) {
        record(&console, None, &parts, ACTION, Touched::default(), 429).await;
        return Refusal::Busy(retry_after_secs(wait)).into_response();
    }
    let store = console.core.store.as_ref();
    let reviewer = match reviewers::verify(store, &given.name, &given.password).await {
        Ok(Some(reviewer)) => reviewer,
        Ok(None) => {
            // A failed login names the reviewer it tried, when there is one.
            let tried = store.reviews().reviewer_by_name(&given.name).await.ok().flatten();
            record(&console, tried.as_ref(), &parts, ACTION, Touched::default(), 401).await;
            return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "invalid" }))).into_response();
        }
        Err(e) => return Refusal::from(e).into_response(),
    };
    let started = match reviewers::start_session(store, &reviewer).await {
        Ok(started) => started,
        Err(e) => return Refusal::from(e).into_response(),
    };
    record(&console, Some(&reviewer), &parts, ACTION, Touched::default(), 204).await;
    logged_in(&console, &started.token)
}

/// `204` with the cookie of a session just started: `HttpOnly` (no script
/// reads it), `SameSite=Strict` (no other site's page sends it), `Secure`
/// behind https, for the absolute lifetime at most.
fn logged_in(console: &Console, token: &SecretString) -> Response {
    let cookie = format!(
        "{COOKIE}={}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}{}",
        token.expose_secret(),
        console.lifetimes.absolute_ms / 1000,
        if console.secure { "; Secure" } else { "" }
    );
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// A cookie that ends the browser's copy of the session.
fn cleared(mut response: Response) -> Response {
    let cookie = format!("{COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `POST /console/api/logout`: ends the session; `204`.
pub async fn logout(
    State(console): State<Arc<Console>>,
    Extension(signed): Extension<SignedIn>,
    parts: Parts,
) -> Result<Response, Refusal> {
    if let Some(token) = cookie_token(&parts.headers) {
        let hashed = reviewers::token_hash(&token);
        console.core.store.reviews().end_console_session(&hashed).await?;
    }
    let action = "POST /console/api/logout";
    record(
        &console,
        Some(&signed.reviewer),
        &parts,
        action,
        Touched::default(),
        204,
    )
    .await;
    Ok(cleared(StatusCode::NO_CONTENT.into_response()))
}

/// `GET /console/api/me`: who is logged in, and what they see.
pub async fn me(
    State(console): State<Arc<Console>>,
    Extension(signed): Extension<SignedIn>,
) -> Result<Json<Value>, Refusal> {
    let integrations = visible_integrations(&console, &signed).await?;
    Ok(Json(json!({
        "name": signed.reviewer.name,
        "role": signed.role().as_str(),
        "mustChangePassword": signed.reviewer.password_expired,
        "integrations": integrations,
    })))
}

/// The integrations a reviewer sees, `[{"id","name"}]`, by name; never
/// their keys or secrets, which this does not even read.
pub async fn visible_integrations(console: &Console, signed: &SignedIn) -> Result<Vec<Value>, Refusal> {
    let visible = console
        .core
        .store
        .reviews()
        .visible_integrations(&signed.reviewer.id)
        .await?;
    Ok(visible
        .into_iter()
        .map(|(id, name)| json!({ "id": id, "name": name }))
        .collect())
}

#[derive(Deserialize)]
struct NewPassword {
    current: SecretString,
    new: SecretString,
}

/// `POST /console/api/password`: replaces the reviewer's password (the
/// one-time one, or their own); `204` with a fresh session, as every
/// session begun before the change is over.
pub async fn password(
    State(console): State<Arc<Console>>,
    Extension(signed): Extension<SignedIn>,
    parts: Parts,
    body: Bytes,
) -> Result<Response, Refusal> {
    let given: NewPassword = parse(&body)?;
    let store = console.core.store.as_ref();
    let action = "POST /console/api/password";
    match reviewers::change_password(store, &signed.reviewer, &given.current, &given.new).await? {
        Ok(()) => {}
        Err(Refused::Current) => {
            record(
                &console,
                Some(&signed.reviewer),
                &parts,
                action,
                Touched::default(),
                401,
            )
            .await;
            return Ok((
                StatusCode::UNAUTHORIZED,
                Json(json!({ "error": "invalid", "field": "current" })),
            )
                .into_response());
        }
        Err(Refused::New) => return Err(Refusal::Invalid("new")),
    }
    record(
        &console,
        Some(&signed.reviewer),
        &parts,
        action,
        Touched::default(),
        204,
    )
    .await;
    // The change ended every session; the reviewer stays logged in here.
    let reviewer = store
        .reviews()
        .reviewer(&signed.reviewer.id)
        .await?
        .ok_or(Refusal::Login)?;
    let started = reviewers::start_session(store, &reviewer).await?;
    Ok(logged_in(&console, &started.token))
}

fn admin_only(signed: &SignedIn) -> Result<(), Refusal> {
    if signed.role() == Role::Admin {
        Ok(())
    } else {
        Err(Refusal::Forbidden)
    }
}

/// `GET /console/api/reviewers` (admins): every reviewer and integration.
pub async fn reviewers(
    State(console): State<Arc<Console>>,
    Extension(signed): Extension<SignedIn>,
) -> Result<Json<Value>, Refusal> {
    admin_only(&signed)?;
    let integrations = visible_integrations(&console, &signed).await?;
    let name_of = |id: &IntegrationId| {
        integrations
            .iter()
            .find(|i| i["id"] == id.as_str())
            .cloned()
            .unwrap_or_else(|| json!({ "id": id, "name": id }))
    };
    let listed = console.core.store.reviews().reviewers().await?;
    let reviewers: Vec<Value> = listed
        .into_iter()
        .map(|(r, given)| {
            json!({
                "id": r.id,
                "name": r.name,
                "role": r.role,
                "active": r.active,
                "integrations": given.iter().map(name_of).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({ "reviewers": reviewers, "integrations": integrations })))
}

#[derive(Deserialize)]
struct NewReviewer {
    name: String,
    role: String,
    #[serde(default)]
    integrations: Vec<String>,
}

/// `POST /console/api/reviewers` (admins): `201 {"id","name","password"}`.
pub async fn add_reviewer(
    State(console): State<Arc<Console>>,
    Extension(signed): Extension<SignedIn>,
    parts: Parts,
    body: Bytes,
) -> Result<Response, Refusal> {
    admin_only(&signed)?;
    let given: NewReviewer = parse(&body)?;
    let role = Role::parse(&given.role).ok_or(Refusal::Invalid("role"))?;
    reviewers::check_name(&given.name).map_err(|_| Refusal::Invalid("name"))?;
    let integrations: Vec<IntegrationId> = given.integrations.into_iter().map(IntegrationId::from).collect();
    let issued = match reviewers::add(console.core.store.as_ref(), &given.name, role, &integrations).await {
        Ok(issued) => issued,
        Err(e) => {
            return Err(match e.downcast_ref::<StoreError>() {
                Some(StoreError::Conflict(_)) => Refusal::Exists,
                Some(StoreError::Invalid(_)) => Refusal::Invalid("integrations"),
                _ => Refusal::from(e),
            });
        }
    };
    let action = "POST /console/api/reviewers";
    record(
        &console,
        Some(&signed.reviewer),
        &parts,
        action,
        Touched::default(),
        201,
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": issued.reviewer.id,
            "name": issued.reviewer.name,
            "password": issued.password.expose_secret(),
        })),
    )
        .into_response())
}

async fn other_reviewer(console: &Console, signed: &SignedIn, id: String) -> Result<Reviewer, Refusal> {
    admin_only(signed)?;
    let found = console.core.store.reviews().reviewer(&ReviewerId::from(id)).await?;
    found.ok_or(Refusal::NotFound)
}

/// `POST /console/api/reviewers/{id}/disable` (admins): `204`.
pub async fn disable_reviewer(
    State(console): State<Arc<Console>>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<String>,
    parts: Parts,
) -> Result<Response, Refusal> {
    let reviewer = other_reviewer(&console, &signed, id).await?;
    console.core.store.reviews().disable_reviewer(&reviewer.id).await?;
    let action = "POST /console/api/reviewers/{id}/disable";
    record(
        &console,
        Some(&signed.reviewer),
        &parts,
        action,
        Touched::default(),
        204,
    )
    .await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /console/api/reviewers/{id}/reset-password` (admins): `200 {"password"}`.
pub async fn reset_password(
    State(console): State<Arc<Console>>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<String>,
    parts: Parts,
) -> Result<Json<Value>, Refusal> {
    let reviewer = other_reviewer(&console, &signed, id).await?;
    let issued = reviewers::reset_password(console.core.store.as_ref(), reviewer).await?;
    let action = "POST /console/api/reviewers/{id}/reset-password";
    record(
        &console,
        Some(&signed.reviewer),
        &parts,
        action,
        Touched::default(),
        200,
    )
    .await;
    Ok(Json(json!({ "password": issued.password.expose_secret() })))
}
