//! Media endpoints: upload, the two lists, download.

use std::sync::Arc;

use axum::{
    Extension, Json,
    body::{Body, Bytes},
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::StreamExt;
use kycmedia_proto::{
    ApiError, FailBody, MediaKind,
    signing::Signer,
    wire::{MediaList, MediaObject, SUCCESS, UploadResponse, duration_secs, requests::UploadRequest},
};

use crate::{
    audit,
    blobs::BlobError,
    error::{AppError, AppResult},
    http::{
        auth::{Caller, PreSigned},
        ids::PathId,
    },
    ids::{AttemptId, IntegrationId, MediaId, SessionId},
    ingest,
    media_cache::{ListKey, MediaListCache},
    objects,
    state::Core,
    store::{Media, ObjectKey},
};

fn media_object(core: &Core, m: &Media) -> MediaObject {
    MediaObject {
        id: m.id.to_string(),
        name: m.context.clone(),
        context: m.context.clone(),
        timestamp: None,
        size: m.size.max(0) as u64,
        mimetype: m.mimetype.clone(),
        url: core.media_url(m.id.as_str()),
        session_id: m.session_id.to_string(),
        duration: match m.kind {
            MediaKind::Video => Some(duration_secs(m.duration_ms.unwrap_or(0).max(0) as u64)),
            MediaKind::Image => None,
        },
    }
}

/// Splits ranked rows into the two arrays, keeping their order.
fn media_list(core: &Core, media: &[Media]) -> MediaList {
    let pick = |kind| {
        media
            .iter()
            .filter(|m| m.kind == kind)
            .map(|m| media_object(core, m))
            .collect()
    };
    MediaList {
        status: SUCCESS.to_owned(),
        images: pick(MediaKind::Image),
        videos: pick(MediaKind::Video),
    }
}

/// Upload one image or video (base64 or `data:` URI) into the session's open attempt.
#[utoipa::path(post, path = "/v1/sessions/{id}/media", tag = "media",
    params(("id" = uuid::Uuid, Path, description = "Session id"),
           ("X-AUTH-CLIENT" = uuid::Uuid, Header, description = "API key"),
           ("X-HMAC-SIGNATURE" = String, Header, pattern = "^[0-9a-fA-F]{64}$", description = "HMAC-SHA256 of the body")),
    request_body(content = UploadRequest),
    responses((status = 201, body = UploadResponse, description = "The stored file's metadata, under `image` or `video`."),
              (status = 400, body = FailBody, description = "Or the body or its file is refused: not a JSON object \
                  (1101), no `context` (1102), a field of the wrong type, both keys, or bytes not accepted (1104), \
                  no content (1400), not base64 (1401), a context not of the key's kind (1402), neither key (1403)."),
              (status = 404, body = FailBody, description = "No such session for this integration."),
              (status = 409, body = FailBody, description = "The session does not take media in its status.")))]
pub async fn upload(
    State(core): State<Arc<Core>>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<SessionId>,
    body: Bytes,
) -> AppResult<(StatusCode, Extension<audit::Subject>, Json<UploadResponse>)> {
    let media = ingest::upload(&core, caller.integration(), &id, &body).await?;
    let stored = audit::Subject {
        attempt: Some(media.attempt_id.clone()),
        media: Some(media.id.clone()),
        ..Default::default()
    };
    let object = Some(media_object(&core, &media));
    let (image, video) = match media.kind {
        MediaKind::Image => (object, None),
        MediaKind::Video => (None, object),
    };
    Ok((
        StatusCode::CREATED,
        Extension(stored),
        Json(UploadResponse {
            status: SUCCESS.to_owned(),
            image,
            video,
        }),
    ))
}

/// A list as the exact bytes of its JSON body.
fn render(core: &Core, media: &[Media]) -> AppResult<Bytes> {
    Ok(serde_json::to_vec(&media_list(core, media))
        .map_err(anyhow::Error::from)?
        .into())
}

fn json_body(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Answers a list from the cache, or loads it (the session it belongs to and
/// its ranked media), renders it and caches the rendering. The generation is
/// read before `load` runs, so a write that lands meanwhile keeps the result
/// out of the cache.
async fn media_list_response(
    core: &Core,
    integration: &IntegrationId,
    key: ListKey,
    load: impl Future<Output = AppResult<(SessionId, Vec<Media>)>>,
) -> AppResult<Response> {
    let cache = core.media_lists.as_deref();
    if let Some(body) = cache.and_then(|c| c.get(integration, &key)) {
        return Ok(json_body(body));
    }
    let generation = cache.map(MediaListCache::generation);
    let (session_id, media) = load.await?;
    let body = render(core, &media)?;
    if let (Some(cache), Some(generation)) = (cache, generation) {
        cache.insert(generation, integration, key, &session_id, body.clone());
    }
    Ok(json_body(body))
}

/// List an attempt's media metadata, each array sorted best first.
#[utoipa::path(get, path = "/v1/attempts/{id}/media", tag = "media",
    params(("id" = uuid::Uuid, Path, description = "Attempt id"),
           ("X-AUTH-CLIENT" = uuid::Uuid, Header, description = "API key"),
           ("X-HMAC-SIGNATURE" = String, Header, pattern = "^[0-9a-fA-F]{64}$",
            description = "HMAC-SHA256 of the attempt id, as sent in the path")),
    responses((status = 200, body = MediaList, description = "The attempt's images and videos, best first."),
              (status = 404, body = FailBody, description = "No such attempt for this integration.")))]
pub async fn attempt_media(
    State(core): State<Arc<Core>>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<AttemptId>,
) -> AppResult<Response> {
    let integration = &caller.integration().id;
    let load = async {
        let found = core
            .store
            .attempt_media(integration, &id)
            .await?
            .ok_or(ApiError::NotFound)?;
        Ok((found.session_id, found.media))
    };
    media_list_response(&core, integration, ListKey::Attempt(id.clone()), load).await
}

/// List the media of the session's latest attempt.
#[utoipa::path(get, path = "/v1/sessions/{id}/media", tag = "media",
    params(("id" = uuid::Uuid, Path, description = "Session id"),
           ("X-AUTH-CLIENT" = uuid::Uuid, Header, description = "API key"),
           ("X-HMAC-SIGNATURE" = String, Header, pattern = "^[0-9a-fA-F]{64}$",
            description = "HMAC-SHA256 of the session id, as sent in the path")),
    responses((status = 200, body = MediaList, description = "The latest attempt's images and videos, best first."),
              (status = 404, body = FailBody, description = "No such session for this integration.")))]
pub async fn session_media(
    State(core): State<Arc<Core>>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<SessionId>,
) -> AppResult<Response> {
    let integration = &caller.integration().id;
    let load = async {
        core.store.session(integration, &id).await?.ok_or(ApiError::NotFound)?;
        let media = match core.store.latest_attempt(integration, &id).await? {
            Some(attempt) => core
                .store
                .attempt_media(integration, &attempt.id)
                .await?
                .map(|found| found.media),
            None => None,
        };
        Ok((id.clone(), media.unwrap_or_default()))
    };
    media_list_response(&core, integration, ListKey::SessionLatest(id.clone()), load).await
}

/// The media's bytes, opened, or why there are none (`lost`).
async fn open_bytes(
    core: &Core,
    caller: &Caller,
    media: &Media,
    key: Option<&ObjectKey>,
) -> AppResult<futures::stream::BoxStream<'static, Result<bytes::Bytes, BlobError>>> {
    match objects::open(core, media, key).await {
        Ok(stream) => Ok(stream),
        Err(e) => Err(lost(core, caller, media, e).await),
    }
}

/// Bytes that could not be read under a row just read: a 404 when the row
/// is gone too (its session was deleted in between), otherwise a fault of
/// ours, a 500.
async fn lost(core: &Core, caller: &Caller, media: &Media, error: BlobError) -> AppError {
    if matches!(error, BlobError::NotFound) {
        match core.store.media(&caller.integration().id, &media.id).await {
            Ok(None) => return ApiError::NotFound.into(),
            Ok(Some(_)) => {}
            Err(e) => return e.into(),
        }
    }
    error.into()
}

/// A download's body in the OpenAPI document: the file's bytes as stored.
pub struct FileBytes;

impl utoipa::PartialSchema for FileBytes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::{
            ObjectBuilder, Type,
            schema::{KnownFormat, SchemaFormat},
        };
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for FileBytes {}

/// Download the stored bytes. The body is read twice, once to sign it and
/// once to send it, so memory stays flat however large the file.
#[utoipa::path(get, path = "/v1/media/{id}", tag = "media",
    params(("id" = uuid::Uuid, Path, description = "Media id"),
           ("X-AUTH-CLIENT" = uuid::Uuid, Header, description = "API key"),
           ("X-HMAC-SIGNATURE" = String, Header, pattern = "^[0-9a-fA-F]{64}$",
            description = "HMAC-SHA256 of the media id, as sent in the path")),
    responses((status = 200, description = "The file's bytes, typed as sniffed from them (docs/api.md §6), \
                   signed over them; the signature headers come with `vrf-` copies.",
               content((inline(FileBytes) = "image/jpeg"), (inline(FileBytes) = "image/png"),
                       (inline(FileBytes) = "image/webp"), (inline(FileBytes) = "image/heic"),
                       (inline(FileBytes) = "image/heif"), (inline(FileBytes) = "application/pdf"),
                       (inline(FileBytes) = "video/mp4"), (inline(FileBytes) = "video/quicktime"),
                       (inline(FileBytes) = "video/webm")),
               headers(("X-Content-Type-Options" = String, description = "`nosniff`"),
                       ("vrf-auth-client" = String, description = "The API key, as in X-AUTH-CLIENT"),
                       ("vrf-hmac-signature" = String, description = "As X-HMAC-SIGNATURE"))),
              (status = 404, body = FailBody, description = "No such media for this integration.")))]
pub async fn download(
    State(core): State<Arc<Core>>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId<MediaId>,
) -> AppResult<Response> {
    let media = core
        .store
        .media(&caller.integration().id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let key = core.store.object_key(&caller.integration().id, &id).await?;
    let mut signer = Signer::new(caller.scheme, caller.secret());
    let mut first_pass = open_bytes(&core, &caller, &media, key.as_ref()).await?;
    while let Some(chunk) = first_pass.next().await {
        match chunk {
            Ok(chunk) => signer.update(&chunk),
            Err(e) => return Err(lost(&core, &caller, &media, e).await),
        }
    }
    let signature = signer.finish_hex();
    let body = open_bytes(&core, &caller, &media, key.as_ref()).await?;
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        media.mimetype.parse().map_err(anyhow::Error::from)?,
    );
    headers.insert(header::CONTENT_LENGTH, media.size.into());
    // The bytes are the uploader's: a browser must take them for the type
    // measured from them, never guess another (HTML in a "photo").
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    for (name, value) in caller.signature_headers(&signature) {
        headers.insert(
            format!("vrf-{}", name.trim_start_matches("x-"))
                .parse::<header::HeaderName>()
                .map_err(anyhow::Error::from)?,
            value.clone(),
        );
        headers.insert(name, value);
    }
    response.extensions_mut().insert(PreSigned);
    Ok(response)
}
