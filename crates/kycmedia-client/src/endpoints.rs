//! One method per endpoint of the API (docs/api.md §3), except the download,
//! which streams and lives in `download.rs`.

use std::path::Path;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use bytes::Bytes;
use kycmedia_proto::{
    Context, MediaKind,
    decision::DecisionResponse,
    wire::{AttemptList, DeleteResponse, MediaList, SessionResponse, UploadResponse},
};
use reqwest::Method;
use serde_json::json;

use crate::{
    Client, NewSession, Signed,
    client::{Call, check_id},
    error::{Error, Result},
};

impl Client {
    /// `POST /v1/sessions`: creates a session (201).
    pub async fn create_session(&self, session: &NewSession) -> Result<Signed<SessionResponse>> {
        self.create_session_body(to_json(&json!({ "verification": session }))?)
            .await
    }

    /// `POST /v1/sessions` with a body given verbatim, e.g. JSON a user wrote
    /// by hand: it is signed and sent byte for byte, never re-serialised.
    pub async fn create_session_body(&self, body: impl Into<Bytes>) -> Result<Signed<SessionResponse>> {
        let body = body.into();
        self.call(Call {
            method: Method::POST,
            path: "v1/sessions".to_owned(),
            signed: &body.clone(),
            body: Some(body),
        })
        .await
    }

    /// `POST /v1/sessions/{id}/media`: uploads `content` as a `kind` with
    /// `context` into the session's current attempt (201).
    ///
    /// The context is a string rather than an enum so that contexts the
    /// provider adds later can be sent; [`kycmedia_proto::ImageContext`] and
    /// [`kycmedia_proto::VideoContext`] list the known ones (`.as_str()`).
    /// Never retried: a repeated upload would store the file twice.
    pub async fn upload(
        &self,
        session_id: &str,
        kind: MediaKind,
        context: &str,
        content: &[u8],
    ) -> Result<Signed<UploadResponse>> {
        let session_id = check_id(session_id)?;
        let body = json!({ kind.as_str(): { "context": context, "content": STANDARD.encode(content) } });
        let body = to_json(&body)?;
        self.call(Call {
            method: Method::POST,
            path: format!("v1/sessions/{session_id}/media"),
            signed: &body.clone(),
            body: Some(body),
        })
        .await
    }

    /// Uploads a still image; see [`Client::upload`].
    pub async fn upload_image(
        &self,
        session_id: &str,
        context: &str,
        content: &[u8],
    ) -> Result<Signed<UploadResponse>> {
        self.upload(session_id, MediaKind::Image, context, content).await
    }

    /// Uploads a video; see [`Client::upload`].
    pub async fn upload_video(
        &self,
        session_id: &str,
        context: &str,
        content: &[u8],
    ) -> Result<Signed<UploadResponse>> {
        self.upload(session_id, MediaKind::Video, context, content).await
    }

    /// Reads the file at `path` and uploads it, as an image or a video
    /// according to [`media_kind`].
    pub async fn upload_file(
        &self,
        session_id: &str,
        context: &str,
        path: impl AsRef<Path>,
    ) -> Result<Signed<UploadResponse>> {
        let path = path.as_ref();
        let content = tokio::fs::read(path).await.map_err(|source| Error::File {
            path: path.to_owned(),
            source,
        })?;
        let kind = media_kind(context, &content, Some(path));
        self.upload(session_id, kind, context, &content).await
    }

    /// `PATCH /v1/sessions/{id}` with status `submitted`: closes the current
    /// attempt for review (200). Never retried.
    pub async fn submit(&self, session_id: &str) -> Result<Signed<SessionResponse>> {
        let session_id = check_id(session_id)?;
        let body = to_json(&json!({ "verification": { "status": "submitted" } }))?;
        self.call(Call {
            method: Method::PATCH,
            path: format!("v1/sessions/{session_id}"),
            signed: &body.clone(),
            body: Some(body),
        })
        .await
    }

    /// `GET /v1/sessions/{id}/attempts`: the session's attempts, newest first.
    pub async fn attempts(&self, session_id: &str) -> Result<Signed<AttemptList>> {
        let session_id = check_id(session_id)?;
        self.get(format!("v1/sessions/{session_id}/attempts"), session_id).await
    }

    /// `GET /v1/sessions/{id}/decision`: the session's decision;
    /// `verification` is `None` until there is one.
    pub async fn decision(&self, session_id: &str) -> Result<Signed<DecisionResponse>> {
        let session_id = check_id(session_id)?;
        self.get(format!("v1/sessions/{session_id}/decision"), session_id).await
    }

    /// `GET /v1/attempts/{id}/media`: the attempt's media, each list best first.
    pub async fn attempt_media(&self, attempt_id: &str) -> Result<Signed<MediaList>> {
        let attempt_id = check_id(attempt_id)?;
        self.get(format!("v1/attempts/{attempt_id}/media"), attempt_id).await
    }

    /// `GET /v1/sessions/{id}/media`: the media of the session's latest
    /// attempt, each list best first.
    pub async fn session_media(&self, session_id: &str) -> Result<Signed<MediaList>> {
        let session_id = check_id(session_id)?;
        self.get(format!("v1/sessions/{session_id}/media"), session_id).await
    }

    /// `DELETE /v1/sessions/{id}`: removes the session, its attempts and the
    /// stored files (200).
    ///
    /// Retried like a GET when retries are configured. If a first try was
    /// carried out but its answer lost, the retry answers 404: the session
    /// is gone either way.
    pub async fn delete_session(&self, session_id: &str) -> Result<Signed<DeleteResponse>> {
        let session_id = check_id(session_id)?;
        self.call(Call {
            method: Method::DELETE,
            path: format!("v1/sessions/{session_id}"),
            signed: session_id.as_bytes(),
            body: None,
        })
        .await
    }

    /// A GET signed over the bare id from its path.
    async fn get<T: serde::de::DeserializeOwned>(&self, path: String, id: &str) -> Result<Signed<T>> {
        self.call(Call {
            method: Method::GET,
            path,
            signed: id.as_bytes(),
            body: None,
        })
        .await
    }
}

/// Whether a file goes up as an image or a video.
///
/// A known context decides (the API files media by the context's kind).
/// Otherwise the content is sniffed, and when that says nothing the file
/// name's extension is used; anything still unknown is sent as an image and
/// left to the server to judge.
pub fn media_kind(context: &str, content: &[u8], path: Option<&Path>) -> MediaKind {
    if Context::parse(MediaKind::Video, context).is_some() {
        return MediaKind::Video;
    }
    if Context::parse(MediaKind::Image, context).is_some() {
        return MediaKind::Image;
    }
    if let Some(sniffed) = infer::get(content) {
        return match sniffed.matcher_type() {
            infer::MatcherType::Video => MediaKind::Video,
            _ => MediaKind::Image,
        };
    }
    let extension = path
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("mp4" | "m4v" | "mov" | "qt" | "webm" | "mkv") => MediaKind::Video,
        _ => MediaKind::Image,
    }
}

/// Serialises a request body once; these are the bytes signed and sent.
fn to_json(value: &serde_json::Value) -> Result<Bytes> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| Error::Invalid(format!("request body: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_context_decides_the_kind_before_the_bytes_or_the_name() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
        assert_eq!(media_kind("selfid_video", &jpeg, None), MediaKind::Video);
        assert_eq!(media_kind("face", b"", Some(Path::new("a.mp4"))), MediaKind::Image);
        assert_eq!(
            media_kind("future-context", &jpeg, Some(Path::new("a.mp4"))),
            MediaKind::Image
        );
        assert_eq!(
            media_kind("future-context", b"??", Some(Path::new("a.MOV"))),
            MediaKind::Video
        );
        assert_eq!(media_kind("future-context", b"??", None), MediaKind::Image);
    }
}
