//! `kycmedia analyze`: the ranking's analysis of local files, one JSON line
//! per file, exactly what an upload of the same bytes under the same
//! context would store. For explaining a rank, tuning, and the evaluation
//! in `eval/`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use kycmedia_media::{Context, Limits, MediaKind, analyse};
use kycmedia_proto::{ImageContext, VideoContext};
use serde_json::{Value, json};

/// Analyses each file under `context`, printing a line per file as it goes
/// (a failed file prints `{"file","context","error"}` and the rest go on).
/// Returns whether every file was analysed.
pub fn run(context: &str, files: &[PathBuf], limits: &Limits) -> anyhow::Result<bool> {
    let parsed = Context::parse(MediaKind::Image, context)
        .or_else(|| Context::parse(MediaKind::Video, context))
        .with_context(|| {
            let all: Vec<&str> = (ImageContext::ALL.iter().map(|c| c.as_str()))
                .chain(VideoContext::ALL.iter().map(|c| c.as_str()))
                .collect();
            format!("unknown context {context:?}; valid: {}", all.join(", "))
        })?;
    let mut out = std::io::stdout().lock();
    let mut all_ok = true;
    for file in files {
        let line = match std::fs::read(file) {
            Ok(bytes) => line(file, context, analyse(parsed, &bytes, limits)),
            Err(e) => failure(file, context, &format!("cannot read: {e}")),
        };
        all_ok &= line.get("error").is_none();
        writeln!(out, "{line}")?;
    }
    Ok(all_ok)
}

fn line(file: &PathBuf, context: &str, result: Result<kycmedia_media::Analysis, kycmedia_media::MediaError>) -> Value {
    match result {
        Ok(a) => kycmedia_media::evidence::rounded(json!({
            "file": file,
            "context": context,
            "mimetype": a.probe.mimetype,
            "width": a.probe.width,
            "height": a.probe.height,
            "duration_ms": a.probe.duration_ms,
            "accuracy": a.accuracy,
            "quality": a.quality,
            "matches": a.matches,
            "score": a.score,
            "evidence": a.evidence,
        })),
        Err(e) => failure(file, context, &e.to_string()),
    }
}

fn failure(file: &PathBuf, context: &str, error: &str) -> Value {
    json!({ "file": file, "context": context, "error": error })
}
