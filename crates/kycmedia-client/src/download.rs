//! `GET /v1/media/{id}`: the file, streamed to a writer while its signature
//! is computed, so that memory does not grow with the file.

use kycmedia_proto::signing::{HMAC_HEADER, Scheme, Signer, parse_signature};
use reqwest::Method;
use subtle::ConstantTimeEq;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::{
    Client,
    client::{Call, check_id},
    error::{Error, Result},
};

/// What a completed, verified download was.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Download {
    /// Bytes written to the writer.
    pub bytes: u64,
    /// The `Content-Type` the server sent, e.g. `image/jpeg`.
    pub content_type: Option<String>,
}

impl Client {
    /// Downloads a media file into `writer` and verifies its signature.
    ///
    /// **The writer receives bytes before they are verified**: the signature
    /// covers the whole file and can only be checked after the last byte.
    /// On `Err` — in particular [`Error::BadSignature`] — whatever was
    /// written must be discarded (delete the file, drop the buffer). Write to
    /// a temporary file and rename it on `Ok` to never expose unverified
    /// bytes. A response without a signature is refused before anything is
    /// written. The writer is flushed, not shut down.
    pub async fn download<W: AsyncWrite + Unpin>(&self, media_id: &str, writer: W) -> Result<Download> {
        self.download_with_progress(media_id, writer, |_, _| {}).await
    }

    /// [`Client::download`], calling `progress(written, total)` after every
    /// chunk; `total` is the `Content-Length` when the server sent one.
    pub async fn download_with_progress<W, F>(&self, media_id: &str, mut writer: W, mut progress: F) -> Result<Download>
    where
        W: AsyncWrite + Unpin,
        F: FnMut(u64, Option<u64>),
    {
        let media_id = check_id(media_id)?;
        let call = Call {
            method: Method::GET,
            path: format!("v1/media/{media_id}"),
            signed: media_id.as_bytes(),
            body: None,
        };
        // No total timeout: a large file legitimately takes long. The
        // client's read timeout still ends a stalled transfer.
        let mut response = self.send(&call, false).await?;
        let status = response.status();
        if !status.is_success() {
            // Errors are small JSON bodies: read, verify and report them.
            // `verified_body` turns every non-success answer into an error;
            // the fallback below only keeps this branch total.
            self.verified_body(response).await?;
            return Err(Error::MissingSignature {
                status: status.as_u16(),
            });
        }
        let signature = response
            .headers()
            .get(HMAC_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_signature)
            .ok_or(Error::MissingSignature {
                status: status.as_u16(),
            })?;
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let total = response.content_length();
        let mut signers: Vec<Signer> = self
            .secrets()
            .iter()
            .map(|secret| Signer::new(Scheme::Hmac, secret.as_bytes()))
            .collect();
        let mut written = 0u64;
        while let Some(chunk) = response.chunk().await.map_err(Error::from_reqwest)? {
            for signer in &mut signers {
                signer.update(&chunk);
            }
            writer.write_all(&chunk).await?;
            written += chunk.len() as u64;
            progress(written, total);
        }
        writer.flush().await?;
        let verified = signers
            .into_iter()
            .any(|signer| bool::from(signer.finish().ct_eq(&signature)));
        if !verified {
            return Err(Error::BadSignature {
                status: status.as_u16(),
            });
        }
        Ok(Download {
            bytes: written,
            content_type,
        })
    }
}
