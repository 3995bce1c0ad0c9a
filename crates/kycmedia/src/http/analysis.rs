//! kycmedia's own operator endpoints (not part of the Veriff API): why each
//! media file ranked where it did. Authenticated and signed like `/v1`, and
//! scoped to the caller's integration, so a tenant sees only its own.

use std::{collections::HashMap, sync::Arc};

use axum::{Extension, Json, extract::State};
use kycmedia_media::evidence::round4;
use kycmedia_proto::{ApiError, FailBody, wire::SUCCESS};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    error::{AppError, AppResult},
    http::{auth::Caller, ids::PathId},
    ids::{AttemptId, MediaId},
    state::Core,
    store::Media,
};

/// One media file's verdict and the evidence behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaAnalysis {
    #[schema(format = Uuid)]
    pub id: String,
    pub context: String,
    pub mimetype: String,
    /// 1-based position in its attempt's list (images and videos apart).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<usize>,
    pub accuracy: f64,
    pub quality: f64,
    pub matches: bool,
    pub score: f64,
    /// Faces, document outline, codes (format, length and box, never the contents), pixel
    /// measures and the findings the accuracy rule decided on.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptAnalysis {
    pub status: String,
    #[serde(rename = "attemptId")]
    #[schema(format = Uuid)]
    pub attempt_id: String,
    /// In the order `GET /v1/attempts/{id}/media` lists them.
    pub media: Vec<MediaAnalysis>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OneAnalysis {
    pub status: String,
    pub media: MediaAnalysis,
}

/// One file's analysis from its row and its stored evidence (`{}` for a
/// row the store has no evidence for, which cannot happen for media it
/// listed, but must not fail the whole answer).
fn analysis(m: &Media, rank: Option<usize>, evidence: &HashMap<MediaId, String>) -> AppResult<MediaAnalysis> {
    let stored = evidence.get(&m.id).map_or("{}", String::as_str);
    let evidence = serde_json::from_str(stored).map_err(|e| AppError::Internal(e.into()))?;
    Ok(MediaAnalysis {
        id: m.id.to_string(),
        context: m.context.clone(),
        mimetype: m.mimetype.clone(),
        rank,
        accuracy: round4(m.accuracy),
        quality: round4(m.quality),
        matches: m.matches,
        score: round4(m.score),
        evidence,
    })
}

/// The analysis of every media file of an attempt, in ranked order.
#[utoipa::path(get, path = "/kycmedia/v1/attempts/{id}/analysis", tag = "kycmedia",
    params(("id" = uuid::Uuid, Path, description = "Attempt id"),
           ("X-AUTH-CLIENT" = uuid::Uuid, Header, description = "API key"),
           ("X-HMAC-SIGNATURE" = String, Header, pattern = "^[0-9a-fA-F]{64}$",
            description = "HMAC-SHA256 of the attempt id, as sent in the path")),
    responses((status = 200, body = AttemptAnalysis, description = "Every file's analysis, in ranked order."),
              (status = 404, body = FailBody, description = "No such attempt for this integration.")))]
pub async fn attempt(
    State(core): State<Arc<Core>>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<AttemptId>,
) -> AppResult<Json<AttemptAnalysis>> {
    let found = core
        .store
        .attempt_media(&caller.integration().id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let ids: Vec<MediaId> = found.media.iter().map(|m| m.id.clone()).collect();
    let evidence = core.store.evidence(&caller.integration().id, &ids).await?;
    let (mut images, mut videos) = (0, 0);
    let media = found
        .media
        .iter()
        .map(|m| {
            let counter = if m.kind == kycmedia_proto::MediaKind::Image {
                &mut images
            } else {
                &mut videos
            };
            *counter += 1;
            analysis(m, Some(*counter), &evidence)
        })
        .collect::<AppResult<_>>()?;
    Ok(Json(AttemptAnalysis {
        status: SUCCESS.to_owned(),
        attempt_id: id.into(),
        media,
    }))
}

/// The analysis of one media file.
#[utoipa::path(get, path = "/kycmedia/v1/media/{id}/analysis", tag = "kycmedia",
    params(("id" = uuid::Uuid, Path, description = "Media id"),
           ("X-AUTH-CLIENT" = uuid::Uuid, Header, description = "API key"),
           ("X-HMAC-SIGNATURE" = String, Header, pattern = "^[0-9a-fA-F]{64}$",
            description = "HMAC-SHA256 of the media id, as sent in the path")),
    responses((status = 200, body = OneAnalysis, description = "The file's analysis."),
              (status = 404, body = FailBody, description = "No such media for this integration.")))]
pub async fn media(
    State(core): State<Arc<Core>>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<MediaId>,
) -> AppResult<Json<OneAnalysis>> {
    let m = core
        .store
        .media(&caller.integration().id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let evidence = core.store.evidence(&caller.integration().id, &[id]).await?;
    Ok(Json(OneAnalysis {
        status: SUCCESS.to_owned(),
        media: analysis(&m, None, &evidence)?,
    }))
}
