//! JSON bodies of the API. Field order follows the provider's examples, so
//! that kycmedia's bytes read like the hosted service's; clients must not
//! depend on order, but humans diffing responses do.

use serde::{Deserialize, Serialize};

string_enum! {
    /// Status of a session or of one of its attempts.
    Status {
        Created => "created",
        Started => "started",
        Submitted => "submitted",
        Approved => "approved",
        Declined => "declined",
        ResubmissionRequested => "resubmission_requested",
        Expired => "expired",
        Abandoned => "abandoned",
        Review => "review",
    }
}

impl Status {
    /// Whether an attempt in this status still takes uploads.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Created | Status::Started)
    }

    /// The outcomes a decision may record on a submitted attempt.
    pub fn is_decision(self) -> bool {
        matches!(
            self,
            Status::Approved | Status::Declined | Status::ResubmissionRequested
        )
    }
}

/// Metadata of one stored image or video, as listed and as returned by upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MediaObject {
    #[cfg_attr(feature = "openapi", schema(format = Uuid))]
    pub id: String,
    /// Always equal to `context`.
    pub name: String,
    pub context: String,
    /// Deprecated by the provider; always `null`.
    pub timestamp: Option<String>,
    /// Size in bytes.
    pub size: u64,
    pub mimetype: String,
    /// `<public base URL>/v1/media/<id>`.
    #[cfg_attr(feature = "openapi", schema(format = "uri"))]
    pub url: String,
    #[cfg_attr(feature = "openapi", schema(format = Uuid))]
    pub session_id: String,
    /// Whole seconds, rounded to nearest; present on videos only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
}

/// `GET /v1/attempts/{id}/media` and `GET /v1/sessions/{id}/media`.
/// Both arrays are always present, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MediaList {
    pub status: String,
    #[serde(default)]
    pub images: Vec<MediaObject>,
    #[serde(default)]
    pub videos: Vec<MediaObject>,
}

/// `POST /v1/sessions/{id}/media`: the stored object under `image` or `video`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadResponse {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<MediaObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<MediaObject>,
}

/// A session as returned by create and submit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionObject {
    #[cfg_attr(feature = "openapi", schema(format = Uuid))]
    pub id: String,
    /// Where the end user would continue the flow.
    #[cfg_attr(feature = "openapi", schema(format = "uri"))]
    pub url: String,
    pub vendor_data: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = "uri"))]
    pub host: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Status))]
    pub status: String,
    /// 64 hex digits: the bearer token of the capture page.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-f]{64}$"))]
    pub session_token: String,
}

/// `POST /v1/sessions` (201) and `PATCH /v1/sessions/{id}` (200).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionResponse {
    pub status: String,
    pub verification: SessionObject,
}

/// One attempt of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AttemptObject {
    #[cfg_attr(feature = "openapi", schema(format = Uuid))]
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Status))]
    pub status: String,
    /// RFC 3339, UTC, milliseconds: `2026-11-27T09:16:58.123Z`.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_time: String,
}

/// `GET /v1/sessions/{id}/attempts`, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptList {
    pub status: String,
    pub verifications: Vec<AttemptObject>,
}

/// The id of a deleted session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeletedSession {
    #[cfg_attr(feature = "openapi", schema(format = Uuid))]
    pub id: String,
}

/// `DELETE /v1/sessions/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeleteResponse {
    pub status: String,
    pub verification: DeletedSession,
}

/// Request bodies as the OpenAPI document describes them. The server does
/// not parse with these: it reads each body field by field (the server's
/// `body.rs`), so that every fault gets its own code (docs/api.md §3); these
/// types only tell generated clients and schema-driven testers the shape.
#[cfg(feature = "openapi")]
pub mod requests {
    use crate::{ImageContext, VideoContext};

    /// `POST /v1/sessions`.
    #[derive(utoipa::ToSchema)]
    pub struct CreateSessionRequest {
        pub verification: SessionRequest,
    }

    /// The new session. Every field is optional, `null` counts as absent,
    /// and other fields are ignored.
    #[derive(utoipa::ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub struct SessionRequest {
        /// An `https` URL (else 1302).
        #[schema(format = "uri")]
        pub callback: Option<String>,
        /// At most 1000 characters (else 1500); not a string: 1501.
        #[schema(max_length = 1000)]
        pub vendor_data: Option<String>,
        pub end_user_id: Option<String>,
        pub person: Option<PersonRequest>,
        /// Must be an object; nothing in it is read.
        #[schema(value_type = Option<Object>)]
        pub document: Option<serde_json::Value>,
    }

    /// `verification.person`: only `firstName` is read (`Approve`,
    /// `Decline` or `Resubmit` decide a test integration's session at
    /// submit); any other field is ignored.
    #[derive(utoipa::ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub struct PersonRequest {
        pub first_name: Option<String>,
    }

    /// `POST /v1/sessions/{id}/media`: exactly one of `image` and `video`.
    #[derive(utoipa::ToSchema)]
    #[serde(untagged)]
    pub enum UploadRequest {
        Image { image: ImageUpload },
        Video { video: VideoUpload },
    }

    /// One image: standard base64 with padding, or a
    /// `data:<type>;base64,<data>` URI (the declared type is ignored: the
    /// type is sniffed from the bytes).
    #[derive(utoipa::ToSchema)]
    pub struct ImageUpload {
        pub context: ImageContext,
        pub content: String,
    }

    /// One video, its content encoded as an image's is.
    #[derive(utoipa::ToSchema)]
    pub struct VideoUpload {
        pub context: VideoContext,
        pub content: String,
    }

    /// `PATCH /v1/sessions/{id}`.
    #[derive(utoipa::ToSchema)]
    pub struct SubmitRequest {
        pub verification: SubmitVerification,
    }

    /// Only `submitted` may be asked for: another known status is 1304, an
    /// unknown one 1303.
    #[derive(utoipa::ToSchema)]
    pub struct SubmitVerification {
        #[schema(schema_with = submitted)]
        pub status: String,
    }

    fn submitted() -> utoipa::openapi::Object {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(["submitted"]))
            .build()
    }
}

/// A video's `duration` on the wire: whole seconds, rounded to nearest.
pub fn duration_secs(duration_ms: u64) -> u64 {
    duration_ms.saturating_add(500) / 1000
}

/// The literal `"success"` of every successful body.
pub const SUCCESS: &str = "success";

#[cfg(test)]
mod tests {
    use super::*;

    fn object(duration: Option<u64>) -> MediaObject {
        MediaObject {
            id: "d69a07cf-4434-4d36-be6c-d22af7dc01fb".into(),
            name: "face".into(),
            context: "face".into(),
            timestamp: None,
            size: 198432,
            mimetype: "image/jpeg".into(),
            url: "https://exampleURL.com/v1/media/d69a07cf-4434-4d36-be6c-d22af7dc01fb".into(),
            session_id: "f04bdb47-d3be-4b28-b028-a652feb060b5".into(),
            duration,
        }
    }

    #[test]
    fn an_image_object_serialises_in_the_seed_key_order_without_duration() {
        assert_eq!(
            serde_json::to_string(&object(None)).unwrap(),
            r#"{"id":"d69a07cf-4434-4d36-be6c-d22af7dc01fb","name":"face","context":"face","timestamp":null,"size":198432,"mimetype":"image/jpeg","url":"https://exampleURL.com/v1/media/d69a07cf-4434-4d36-be6c-d22af7dc01fb","sessionId":"f04bdb47-d3be-4b28-b028-a652feb060b5"}"#
        );
    }

    #[test]
    fn a_video_object_ends_with_an_integer_duration() {
        let json = serde_json::to_string(&object(Some(8))).unwrap();
        assert!(
            json.ends_with(r#""sessionId":"f04bdb47-d3be-4b28-b028-a652feb060b5","duration":8}"#),
            "{json}"
        );
    }

    #[test]
    fn the_seed_examples_parse_including_a_response_without_images() {
        let with_video = r#"{"status":"success","videos":[{"id":"b3de56f4-7767-7g69-ch9d-g45id8469h02","name":"selfid_video","context":"selfid_video","timestamp":null,"size":1456789,"mimetype":"video/mp4","url":"https://exampleURL.com/v1/media/b3de56f4-7767-7g69-ch9d-g45id8469h02","sessionId":"f04bdb47-d3be-4b28-b028-a652feb060b5","duration":8}]}"#;
        let list: MediaList = serde_json::from_str(with_video).unwrap();
        assert!(list.images.is_empty());
        assert_eq!(list.videos[0].duration, Some(8));
    }

    #[test]
    fn duration_rounds_to_the_nearest_whole_second() {
        assert_eq!(duration_secs(2_499), 2);
        assert_eq!(duration_secs(2_500), 3);
        assert_eq!(duration_secs(0), 0);
        assert_eq!(duration_secs(u64::MAX), u64::MAX / 1000);
    }

    #[test]
    fn status_round_trips_and_knows_which_are_open() {
        for s in Status::ALL {
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(&serde_json::from_str::<Status>(&json).unwrap(), s);
        }
        assert!(Status::Started.is_open());
        assert!(!Status::Submitted.is_open());
    }
}
