//! Uploading one file: validate the body, measure the bytes, store the bytes,
//! then the row. The row is written last, so a failure at any step leaves
//! no row without bytes; bytes left without a row are erased again here or,
//! after a crash, by the sweep.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use kycmedia_media::{Analysis, Evidence, MediaError};
use kycmedia_proto::{ApiError, Context, ImageContext, MediaKind, VideoContext, transitions::Event};

use crate::{
    body::{self, optional_object, optional_string},
    error::{AppError, AppResult, Rejection},
    ids::{AttemptId, IntegrationId, MediaId, SessionId, now_ms},
    state::Core,
    store::{Integration, Media, Session},
    telemetry::{self, UploadOutcome},
};

/// A validated upload request.
#[derive(Debug)]
pub struct Upload {
    pub context: Context,
    pub bytes: Vec<u8>,
}

/// Parses `{"image":{"context":…,"content":…}}` (or `"video"`), checking in
/// the contract's order and answering with its codes.
pub fn parse(bytes: &[u8]) -> Result<Upload, Rejection> {
    let object = body::object(bytes)?;
    let (kind, media) = match (optional_object(&object, "image")?, optional_object(&object, "video")?) {
        (Some(m), None) => (MediaKind::Image, m),
        (None, Some(m)) => (MediaKind::Video, m),
        (None, None) => {
            return Err(Rejection::new(
                ApiError::ImagePropertyMissing,
                "the body needs an `image` or a `video` object",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(Rejection::new(
                ApiError::InvalidParameters,
                "send either `image` or `video`, not both",
            ));
        }
    };
    let content = optional_string(media, "content", ApiError::InvalidParameters)?
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| {
            Rejection::new(
                ApiError::ImageDataNotFound,
                format!("`{}.content` is missing or empty", kind.as_str()),
            )
        })?;
    let context = optional_string(media, "context", ApiError::InvalidParameters)?
        .ok_or_else(|| body::missing(&format!("{}.context", kind.as_str())))?;
    let context = Context::parse(kind, context).ok_or_else(|| unsupported_context(kind, context))?;
    let bytes = decode_content(content)?;
    if bytes.is_empty() {
        return Err(Rejection::new(
            ApiError::ImageDataNotFound,
            "the content decodes to no bytes",
        ));
    }
    Ok(Upload { context, bytes })
}

/// 1402, saying which contexts the key takes, or that the context belongs
/// under the other key.
fn unsupported_context(kind: MediaKind, context: &str) -> Rejection {
    let shown: String = context.chars().take(60).collect();
    let reason = match kind {
        MediaKind::Image if VideoContext::parse(context).is_some() => {
            format!("\"{shown}\" is a video context: send it under `video`")
        }
        MediaKind::Video if ImageContext::parse(context).is_some() => {
            format!("\"{shown}\" is an image context: send it under `image`")
        }
        MediaKind::Image => format!("unknown image context \"{shown}\"; valid: {}", join(ImageContext::ALL)),
        MediaKind::Video => format!("unknown video context \"{shown}\"; valid: {}", join(VideoContext::ALL)),
    };
    Rejection::new(ApiError::UnsupportedContext, reason)
}

fn join(values: &[impl std::fmt::Display]) -> String {
    values.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// Decodes plain base64 or a `data:<type>;base64,<data>` URI. Line breaks
/// and spaces inside the data are tolerated, as MIME encoders insert them.
/// The declared type of a data URI is ignored: the type is sniffed.
fn decode_content(content: &str) -> Result<Vec<u8>, Rejection> {
    let data = match content.strip_prefix("data:") {
        Some(rest) => {
            let (header, data) = rest
                .split_once(',')
                .ok_or_else(|| Rejection::new(ApiError::InvalidBase64, "a data: URI needs a comma before its data"))?;
            if !header.ends_with(";base64") {
                return Err(Rejection::new(
                    ApiError::InvalidBase64,
                    "a data: URI must be `data:<type>;base64,<data>`",
                ));
            }
            data
        }
        None => content,
    };
    let decoded = if data.bytes().any(|b| b.is_ascii_whitespace()) {
        let compact: Vec<u8> = data.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        STANDARD.decode(compact)
    } else {
        STANDARD.decode(data)
    };
    decoded.map_err(|e| Rejection::new(ApiError::InvalidBase64, format!("the content is not base64: {e}")))
}

/// Measures the bytes off the async runtime, on the analysis threads:
/// decoding pixels is CPU work.
async fn analyse(
    core: &Core,
    integration: &IntegrationId,
    context: Context,
    bytes: Vec<u8>,
) -> AppResult<(Analysis, Vec<u8>)> {
    let limits = core.limits.media();
    // First the integration's share, so that one tenant cannot hold every slot.
    let _share = core.admission.analysis_share(integration.as_str()).await;
    // Waits for a slot: decoding is bounded by cores, not by how many clients upload at once.
    let _slot = core
        .analysis_slots
        .acquire()
        .await
        .map_err(|e| anyhow::anyhow!("analysis slots closed: {e}"))?;
    let (result, elapsed) = core
        .analyses
        .run(move || {
            let started = std::time::Instant::now();
            let analysis = kycmedia_media::analyse(context, &bytes, &limits);
            ((analysis, bytes), started.elapsed())
        })
        .await?;
    telemetry::record_analysis(context, elapsed);
    match result {
        (Ok(analysis), bytes) => Ok((analysis, bytes)),
        (Err(e), _) => {
            let reason = rejection_reason(&e, context, limits);
            Err(Rejection::new(ApiError::InvalidParameters, reason).into())
        }
    }
}

/// Why the bytes do not suit the context, in words for the uploader.
fn rejection_reason(error: &MediaError, context: Context, limits: kycmedia_media::Limits) -> String {
    match error {
        MediaError::Unsupported => match context.kind() {
            MediaKind::Image => "the bytes are not an accepted image (JPEG, PNG, WebP, HEIC/HEIF or PDF)".to_owned(),
            MediaKind::Video => "the bytes are not an accepted video (MP4, QuickTime or WebM)".to_owned(),
        },
        MediaError::WrongKind { mimetype } => format!("{mimetype} does not suit context {context}"),
        MediaError::Corrupt(detail) => format!("the file is damaged or truncated: {detail}"),
        MediaError::TooLarge => format!(
            "the image is too large to decode: over {} pixels or {} bytes of pixels",
            limits.max_pixels, limits.max_alloc
        ),
    }
}

/// Stores one upload in the session's open attempt; its row, and what the
/// analysis saw (the capture page turns that into advice).
pub async fn store(
    core: &Core,
    integration: &IntegrationId,
    session_id: &SessionId,
    upload: Upload,
) -> AppResult<(Media, Evidence)> {
    let (analysis, mut bytes) = analyse(core, integration, upload.context, upload.bytes).await?;
    // Only the image is stored: data appended after its end (a ZIP or HTML
    // page making a polyglot, a motion photo's clip) was not analysed and
    // would be served under the image's type.
    bytes.truncate(analysis.probe.content_len);
    let size = bytes.len() as i64;
    let id = MediaId::random();
    let blob_key = format!("{integration}/{id}");
    let key = crate::objects::put(core, integration, &id, &blob_key, bytes).await?;
    let probe = &analysis.probe;
    let mut media = Media {
        id,
        // Chosen by the store below: the open attempt, or a new one.
        attempt_id: AttemptId::from(""),
        session_id: session_id.clone(),
        integration_id: integration.clone(),
        kind: upload.context.kind(),
        context: upload.context.as_str().to_owned(),
        mimetype: probe.mimetype.to_owned(),
        size,
        width: probe.width.map(i64::from),
        height: probe.height.map(i64::from),
        duration_ms: probe.duration_ms.map(|d| d as i64),
        accuracy: f64::from(analysis.accuracy),
        quality: f64::from(analysis.quality),
        matches: analysis.matches,
        score: f64::from(analysis.score),
        blob_key,
        created_at: now_ms(),
    };
    let evidence = analysis.evidence.to_json().to_string();
    match core
        .store
        .insert_media(&media, key.as_ref(), &evidence, &AttemptId::random())
        .await
    {
        Ok(attempt_id) => media.attempt_id = attempt_id,
        Err(e) => {
            if let Err(cleanup) = core.blobs.delete(&media.blob_key).await {
                tracing::warn!(error = %cleanup, "could not erase bytes of a failed upload; the sweep will");
            }
            return Err(AppError::from(e));
        }
    }
    Ok((media, analysis.evidence))
}

/// An API upload (`POST /v1/sessions/{id}/media`): the JSON body parsed
/// once the session is known to take media.
pub async fn upload(core: &Core, integration: &Integration, session_id: &SessionId, body: &[u8]) -> AppResult<Media> {
    counted(async {
        let session = core
            .store
            .session(&integration.id, session_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        takes_media(&session)?;
        store(core, &integration.id, session_id, parse(body)?).await
    })
    .await
    .map(|(media, _)| media)
}

/// An upload from the capture page: the file itself and its context.
pub async fn upload_file(core: &Core, session: &Session, upload: Upload) -> AppResult<(Media, Evidence)> {
    counted(async {
        takes_media(session)?;
        store(core, &session.integration_id, &session.id, upload).await
    })
    .await
}

/// Counts an upload by outcome (`kycmedia_uploads_total`).
async fn counted<T>(upload: impl Future<Output = AppResult<T>>) -> AppResult<T> {
    let result = upload.await;
    telemetry::record_upload(match &result {
        Ok(_) => UploadOutcome::Stored,
        Err(AppError::Api(refused)) if refused.error == ApiError::Conflict => UploadOutcome::Conflict,
        Err(AppError::Api(_)) => UploadOutcome::Rejected,
        Err(AppError::Internal(_)) => UploadOutcome::Failed,
    });
    result
}

/// The session must take media before the body is even parsed, so that a
/// closed session answers 409 cheaply. The store checks again as it writes.
fn takes_media(session: &Session) -> Result<(), Rejection> {
    if session.status.after(Event::Upload).is_none() {
        return Err(Rejection::new(
            ApiError::Conflict,
            format!(
                "the session is {}: it takes media while open or after a resubmission request",
                session.status
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str) -> Rejection {
        parse(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn each_malformed_upload_gets_its_contract_code() {
        assert_eq!(err("not json"), ApiError::ValidationFailed);
        assert_eq!(err("[]"), ApiError::ValidationFailed);
        assert_eq!(err("{}"), ApiError::ImagePropertyMissing);
        assert_eq!(err(r#"{"image":null}"#), ApiError::ImagePropertyMissing);
        assert_eq!(err(r#"{"image":"x"}"#), ApiError::InvalidParameters);
        assert_eq!(err(r#"{"image":{"context":"face"}}"#), ApiError::ImageDataNotFound);
        assert_eq!(
            err(r#"{"image":{"context":"face","content":""}}"#),
            ApiError::ImageDataNotFound
        );
        assert_eq!(
            err(r#"{"image":{"context":"face","content":5}}"#),
            ApiError::InvalidParameters
        );
        assert_eq!(err(r#"{"image":{"content":"AAAA"}}"#), ApiError::MissingParameters);
        assert_eq!(
            err(r#"{"image":{"context":7,"content":"AAAA"}}"#),
            ApiError::InvalidParameters
        );
        assert_eq!(
            err(r#"{"image":{"context":"selfie","content":"AAAA"}}"#),
            ApiError::UnsupportedContext
        );
        assert_eq!(
            err(r#"{"video":{"context":"face","content":"AAAA"}}"#),
            ApiError::UnsupportedContext
        );
        assert_eq!(
            err(r#"{"image":{"context":"face","content":"@@@@"}}"#),
            ApiError::InvalidBase64
        );
        assert_eq!(
            err(r#"{"image":{"context":"face","content":"data:image/png,AAAA"}}"#),
            ApiError::InvalidBase64
        );
        assert_eq!(
            err(r#"{"image":{"context":"face","content":"AAAA"},"video":{"context":"selfid_video","content":"AAAA"}}"#),
            ApiError::InvalidParameters
        );
    }

    #[test]
    fn plain_base64_and_data_uris_with_line_breaks_decode_to_the_same_bytes() {
        let plain = parse(br#"{"image":{"context":"face","content":"aGVsbG8="}}"#).unwrap();
        let uri =
            parse(b"{\"image\":{\"context\":\"face\",\"content\":\"data:image/jpeg;base64,aGVs\\nbG8=\"}}").unwrap();
        assert_eq!(plain.bytes, b"hello");
        assert_eq!(uri.bytes, b"hello");
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let up = parse(br#"{"image":{"context":"face","content":"aGk=","timestamp":"2020","extra":1},"more":true}"#)
            .unwrap();
        assert_eq!(up.context.as_str(), "face");
    }
}
