//! Rows for the unit tests of the modules above the store: a session and
//! a media row as the server makes them, written once.

/// A fresh `created` session row of `integration`, for unit tests that
/// need one in a store.
pub fn session_row(integration: &crate::ids::IntegrationId) -> super::Session {
    super::Session {
        id: crate::ids::SessionId::random(),
        integration_id: integration.clone(),
        status: kycmedia_proto::Status::Created,
        vendor_data: None,
        end_user_id: None,
        callback: None,
        session_token: crate::ids::new_id(),
        auto_decision: None,
        created_at: crate::ids::now_ms(),
    }
}

/// A JPEG's media row of `size` bytes in `session`, stored under
/// `blob_key`, unanalysed; `insert_media` gives it its attempt.
pub fn media_row(session: &super::Session, blob_key: &str, size: i64) -> super::Media {
    use crate::ids::{AttemptId, MediaId};
    super::Media {
        id: MediaId::random(),
        attempt_id: AttemptId::from(""),
        session_id: session.id.clone(),
        integration_id: session.integration_id.clone(),
        kind: kycmedia_proto::MediaKind::Image,
        context: "face".to_owned(),
        mimetype: "image/jpeg".to_owned(),
        size,
        width: None,
        height: None,
        duration_ms: None,
        accuracy: 0.0,
        quality: 0.0,
        matches: false,
        score: 0.0,
        blob_key: blob_key.to_owned(),
        created_at: crate::ids::now_ms(),
    }
}
