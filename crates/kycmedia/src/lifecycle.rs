//! A session's life: created, given media, submitted, decided, deleted.

use kycmedia_proto::{ApiError, Status};

use crate::{
    body::{self, optional_object, optional_string, required_object},
    error::{AppResult, Rejection},
    ids::{AttemptId, IntegrationId, SessionId, now_ms},
    state::Core,
    store::{Integration, Session, StoreError},
};

/// The fields of `POST /v1/sessions` that kycmedia keeps. Names, document
/// numbers and dates of birth are validated for shape and then dropped:
/// nothing reads them back, so nothing stores them.
#[derive(Debug, Default, PartialEq)]
pub struct SessionRequest {
    pub callback: Option<String>,
    pub vendor_data: Option<String>,
    pub end_user_id: Option<String>,
    pub auto_decision: Option<Status>,
}

/// The test-integration convention: a first name of `Approve`, `Decline` or
/// `Resubmit` decides the session that way when it is submitted.
fn auto_decision(first_name: &str) -> Option<Status> {
    match first_name.trim().to_ascii_lowercase().as_str() {
        "approve" => Some(Status::Approved),
        "decline" => Some(Status::Declined),
        "resubmit" => Some(Status::ResubmissionRequested),
        _ => None,
    }
}

/// Parses and validates the body of `POST /v1/sessions`.
pub fn parse_session_request(bytes: &[u8]) -> Result<SessionRequest, Rejection> {
    let root = body::object(bytes)?;
    let verification = required_object(&root, "verification")?;
    let callback = optional_string(verification, "callback", ApiError::InvalidParameters)?.map(str::to_owned);
    if let Some(cb) = &callback {
        match url::Url::parse(cb) {
            Ok(u) if u.scheme() == "https" => {}
            Ok(u) => {
                return Err(Rejection::new(
                    ApiError::HttpsOnly,
                    format!("`callback` must be an https URL, not {}", u.scheme()),
                ));
            }
            Err(e) => {
                return Err(Rejection::new(
                    ApiError::HttpsOnly,
                    format!("`callback` is not a URL: {e}"),
                ));
            }
        }
    }
    let vendor_data = optional_string(verification, "vendorData", ApiError::VendorDataNotString)?.map(str::to_owned);
    if let Some(length) = vendor_data.as_ref().map(|v| v.chars().count()).filter(|&n| n > 1000) {
        return Err(Rejection::new(
            ApiError::VendorDataTooLong,
            format!("`vendorData` has {length} characters"),
        ));
    }
    let end_user_id = optional_string(verification, "endUserId", ApiError::InvalidParameters)?.map(str::to_owned);
    let person = optional_object(verification, "person")?;
    optional_object(verification, "document")?;
    let first_name = match person {
        Some(p) => optional_string(p, "firstName", ApiError::InvalidParameters)?,
        None => None,
    };
    Ok(SessionRequest {
        callback,
        vendor_data,
        end_user_id,
        auto_decision: first_name.and_then(auto_decision),
    })
}

pub async fn create_session(core: &Core, integration: &Integration, request: SessionRequest) -> AppResult<Session> {
    let session = Session {
        id: SessionId::random(),
        integration_id: integration.id.clone(),
        status: Status::Created,
        vendor_data: request.vendor_data,
        end_user_id: request.end_user_id,
        callback: request.callback,
        // Two v4 UUIDs: 244 random bits, unguessable like a bearer token must be.
        session_token: format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple()),
        auto_decision: request.auto_decision,
        created_at: now_ms(),
    };
    core.store.create_session(&session).await?;
    Ok(session)
}

/// Parses `{"verification":{"status":"submitted"}}`; only `submitted` may be asked for.
pub fn parse_submit(bytes: &[u8]) -> Result<(), Rejection> {
    let root = body::object(bytes)?;
    let verification = required_object(&root, "verification")?;
    let status = optional_string(verification, "status", ApiError::InvalidParameters)?
        .ok_or_else(|| body::missing("verification.status"))?;
    match Status::parse(status) {
        None => Err(Rejection::new(
            ApiError::InvalidStatus,
            format!(
                "unknown status \"{}\"; a client may only ask for \"submitted\"",
                status.chars().take(60).collect::<String>()
            ),
        )),
        Some(Status::Submitted) => Ok(()),
        Some(other) => Err(Rejection::new(
            ApiError::CannotTransition(other.as_str().to_owned()),
            "a client may only ask for \"submitted\"; decisions are the reviewer's",
        )),
    }
}

/// Submits the session. The returned session says `submitted` even when a
/// test-integration decision was recorded at once: a client sees the decision
/// the way it would see a real one, by asking for the attempts afterwards.
pub async fn submit(core: &Core, integration: &Integration, session_id: &SessionId, body: &[u8]) -> AppResult<Session> {
    core.store
        .session(&integration.id, session_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    parse_submit(body)?;
    submit_session(core, &integration.id, session_id).await
}

/// Submits as `PATCH /v1/sessions/{id}` does, once the request is known to
/// be sound: from the API, or from the capture page's Submit.
pub async fn submit_session(core: &Core, integration: &IntegrationId, session_id: &SessionId) -> AppResult<Session> {
    match core
        .store
        .submit(integration, session_id, &AttemptId::random(), now_ms())
        .await
    {
        Ok(mut session) => {
            session.status = Status::Submitted;
            Ok(session)
        }
        Err(StoreError::Conflict(status)) => Err(Rejection::new(
            ApiError::CannotTransition(Status::Submitted.as_str().to_owned()),
            format!("the session is {status} already"),
        )
        .into()),
        Err(e) => Err(e.into()),
    }
}

/// Removes the session's rows, then its bytes (each media's object and its
/// thumbnail and preview, if they were made), and answers only when all are gone. A
/// delete fails only on a storage fault, never on what is already gone.
pub async fn delete_session(core: &Core, integration: &Integration, session_id: &SessionId) -> AppResult<()> {
    let keys = core.store.delete_session(&integration.id, session_id).await?;
    for key in keys {
        core.blobs.delete(&key).await?;
        for derived in crate::objects::derived_keys(&key) {
            core.blobs.delete(&derived).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str) -> Rejection {
        parse_session_request(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn each_malformed_session_request_gets_its_contract_code() {
        assert_eq!(err("nope"), ApiError::ValidationFailed);
        assert_eq!(err("{}"), ApiError::MissingParameters);
        assert_eq!(err(r#"{"verification":1}"#), ApiError::InvalidParameters);
        assert_eq!(
            err(r#"{"verification":{"callback":"http://x.test"}}"#),
            ApiError::HttpsOnly
        );
        assert_eq!(err(r#"{"verification":{"callback":"not a url"}}"#), ApiError::HttpsOnly);
        assert_eq!(err(r#"{"verification":{"callback":5}}"#), ApiError::InvalidParameters);
        assert_eq!(
            err(r#"{"verification":{"vendorData":5}}"#),
            ApiError::VendorDataNotString
        );
        let long = format!(r#"{{"verification":{{"vendorData":"{}"}}}}"#, "é".repeat(1001));
        assert_eq!(err(&long), ApiError::VendorDataTooLong);
        assert_eq!(err(r#"{"verification":{"person":"x"}}"#), ApiError::InvalidParameters);
        assert_eq!(
            err(r#"{"verification":{"person":{"firstName":1}}}"#),
            ApiError::InvalidParameters
        );
    }

    #[test]
    fn vendor_data_of_exactly_1000_characters_is_accepted() {
        let body = format!(r#"{{"verification":{{"vendorData":"{}"}}}}"#, "é".repeat(1000));
        assert!(parse_session_request(body.as_bytes()).is_ok());
    }

    #[test]
    fn the_first_name_convention_picks_the_decision() {
        let req =
            parse_session_request(br#"{"verification":{"person":{"firstName":"Resubmit"},"extra":[1]}}"#).unwrap();
        assert_eq!(req.auto_decision, Some(Status::ResubmissionRequested));
        let req = parse_session_request(br#"{"verification":{"person":{"firstName":"John"}}}"#).unwrap();
        assert_eq!(req.auto_decision, None);
    }

    #[test]
    fn submit_accepts_only_the_submitted_status() {
        assert_eq!(
            parse_submit(br#"{"verification":{"status":"submitted","x":1}}"#),
            Ok(())
        );
        assert_eq!(
            parse_submit(br#"{"verification":{}}"#).map_err(|e| e.error),
            Err(ApiError::MissingParameters)
        );
        assert_eq!(
            parse_submit(br#"{"verification":{"status":3}}"#).map_err(|e| e.error),
            Err(ApiError::InvalidParameters)
        );
        assert_eq!(
            parse_submit(br#"{"verification":{"status":"done"}}"#).map_err(|e| e.error),
            Err(ApiError::InvalidStatus)
        );
        assert_eq!(
            parse_submit(br#"{"verification":{"status":"approved"}}"#).map_err(|e| e.error),
            Err(ApiError::CannotTransition("approved".into()))
        );
    }
}
