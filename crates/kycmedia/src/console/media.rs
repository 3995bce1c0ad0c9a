//! A case's media for the reviewer's browser: the files, with HTTP range
//! requests so that videos play (only the chunks a range covers are read
//! and decrypted), and thumbnails made by the server once, stored sealed
//! like the media, and read from storage afterwards.

use std::{num::NonZeroUsize, ops::Range, sync::Arc};

use axum::{
    Extension,
    body::Body,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use kycmedia_proto::MediaKind;

use super::{Console, Refusal, SignedIn, Touched, record};
use crate::{
    ids::MediaId,
    objects::{self, Derived},
    store::Media,
};

/// The most one range answer carries: a browser asking for `bytes=0-` of a
/// long video gets the first 4 MiB and asks on from there, and no request
/// holds more than that in memory.
const MAX_RANGE: u64 = 4 * 1024 * 1024;

/// The media row, when the reviewer may see it.
async fn visible(console: &Console, signed: &SignedIn, id: &MediaId) -> Result<Media, Refusal> {
    let found = console.core.store.reviews().case_media(&signed.reviewer.id, id).await?;
    found.ok_or(Refusal::NotFound)
}

/// What a `Range` header asks of a file of `size` bytes: `Ok(None)` for the
/// whole file (no header, or one this server does not take: several ranges,
/// or bad syntax, which RFC 9110 lets a server ignore), `Err` for a range
/// past the end (416).
fn wanted(header: Option<&HeaderValue>, size: u64) -> Result<Option<Range<u64>>, ()> {
    let Some(text) = header.and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Ok(parsed) = http_range_header::parse_range_header_with_max_ranges(text, NonZeroUsize::MIN) else {
        return Ok(None);
    };
    let ranges = parsed.validate(size).map_err(|_| ())?;
    let Some(range) = ranges.first() else {
        return Ok(None);
    };
    let start = *range.start();
    let end = range.end().saturating_add(1).min(start.saturating_add(MAX_RANGE));
    Ok(Some(start..end))
}

/// `GET /console/api/media/{media}`: the file, whole or a range of it. A
/// view of it in the audit trail.
pub async fn file(
    State(console): State<Arc<Console>>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<String>,
    parts: Parts,
) -> Result<Response, Refusal> {
    let media = visible(&console, &signed, &MediaId::from(id)).await?;
    let core = &console.core;
    let key = core.store.object_key(&media.integration_id, &media.id).await?;
    let size = u64::try_from(media.size).unwrap_or(0);
    let range = wanted(parts.headers.get(header::RANGE), size);
    let (status, mut response) = match range {
        Err(()) => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            (416, response)
        }
        Ok(None) => {
            let body = objects::open(core, &media, key.as_ref()).await.map_err(lost)?;
            let mut response = Body::from_stream(body).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
            (200, response)
        }
        Ok(Some(range)) => {
            let bytes = objects::open_range(core, &media, key.as_ref(), range.clone())
                .await
                .map_err(lost)?;
            let mut response = (StatusCode::PARTIAL_CONTENT, bytes).into_response();
            let content_range = format!("bytes {}-{}/{size}", range.start, range.end - 1);
            if let Ok(value) = HeaderValue::from_str(&content_range) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            (206, response)
        }
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&media.mimetype) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let action = "GET /console/api/media/{media}";
    record(
        &console,
        Some(&signed.reviewer),
        &parts,
        action,
        Touched::media(&media),
        status,
    )
    .await;
    Ok(response)
}

/// A stored object that cannot be read is the server's failure, never the reviewer's.
fn lost(e: crate::blobs::BlobError) -> Refusal {
    Refusal::Failed(format!("reading a media object: {e}"))
}

/// `GET /console/api/media/{media}/thumbnail`: a small upright JPEG of an
/// image for the lists.
pub async fn thumbnail(
    State(console): State<Arc<Console>>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<String>,
    parts: Parts,
) -> Result<Response, Refusal> {
    let action = "GET /console/api/media/{media}/thumbnail";
    derived(&console, &signed, id, Derived::Thumbnail, &parts, action).await
}

/// `GET /console/api/media/{media}/preview`: the image the viewer shows, at
/// most 1600 px, upright; the original only when the reviewer zooms in.
pub async fn preview(
    State(console): State<Arc<Console>>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<String>,
    parts: Parts,
) -> Result<Response, Refusal> {
    let action = "GET /console/api/media/{media}/preview";
    derived(&console, &signed, id, Derived::Preview, &parts, action).await
}

/// A derived JPEG of an image, made on the first request and stored sealed;
/// 404 for a video or a type without a decoder here (HEIC, PDF), which the
/// page shows as a tile, or as its original.
async fn derived(
    console: &Console,
    signed: &SignedIn,
    id: String,
    which: Derived,
    parts: &Parts,
    action: &str,
) -> Result<Response, Refusal> {
    let media = visible(console, signed, &MediaId::from(id)).await?;
    if media.kind != MediaKind::Image {
        return Err(Refusal::NotFound);
    }
    let core = &console.core;
    let key = core.store.object_key(&media.integration_id, &media.id).await?;
    let jpeg = match objects::open_derived(core, &media, key.as_ref(), which)
        .await
        .map_err(lost)?
    {
        Some(stored) => stored,
        None => {
            let Some(made) = make(console, &media, key.as_ref(), which).await? else {
                return Err(Refusal::NotFound);
            };
            objects::put_derived(core, &media, key.as_ref(), which, made.clone())
                .await
                .map_err(lost)?;
            made
        }
    };
    record(
        console,
        Some(&signed.reviewer),
        parts,
        action,
        Touched::media(&media),
        200,
    )
    .await;
    let mut response = jpeg.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    Ok(response)
}

/// Decodes the media and scales it down on the analysis threads (below
/// the request threads' priority); `None` when there is no decoder for it.
async fn make(
    console: &Console,
    media: &Media,
    key: Option<&crate::store::ObjectKey>,
    which: Derived,
) -> Result<Option<Vec<u8>>, Refusal> {
    use futures::TryStreamExt;
    if !kycmedia_media::thumbnail::has_decoder(&media.mimetype) {
        return Ok(None);
    }
    let core = &console.core;
    let stream = objects::open(core, media, key).await.map_err(lost)?;
    let bytes: Vec<u8> = stream
        .try_fold(
            Vec::with_capacity(media.size.max(0) as usize),
            |mut all, chunk| async move {
                all.extend_from_slice(&chunk);
                Ok(all)
            },
        )
        .await
        .map_err(lost)?;
    let limits = core.limits.media();
    let side = which.max_side();
    let made = core
        .analyses
        .run(move || kycmedia_media::thumbnail::thumbnail(&bytes, side, limits))
        .await?;
    Ok(made.ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str, size: u64) -> Result<Option<Range<u64>>, ()> {
        wanted(Some(&HeaderValue::from_str(text).unwrap()), size)
    }

    #[test]
    fn a_range_header_is_taken_when_it_is_one_range_inside_the_file() {
        assert_eq!(wanted(None, 100), Ok(None));
        assert_eq!(range("bytes=0-9", 100), Ok(Some(0..10)));
        assert_eq!(range("bytes=90-", 100), Ok(Some(90..100)));
        assert_eq!(range("bytes=-10", 100), Ok(Some(90..100)));
        assert_eq!(range("bytes=50-500", 100), Ok(Some(50..100)));
        assert_eq!(range("bytes=100-", 100), Err(()));
        assert_eq!(range("bytes=0-1,5-6", 100), Ok(None), "several ranges: the whole file");
        assert_eq!(range("pages=1", 100), Ok(None), "not bytes: the whole file");
        assert_eq!(
            range("bytes=0-", 100 * MAX_RANGE),
            Ok(Some(0..MAX_RANGE)),
            "at most MAX_RANGE"
        );
    }
}
