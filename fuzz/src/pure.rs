//! Sniffing, the video probe, the full analysis and the signature header:
//! each must answer or refuse, never panic, hang or allocate without bound,
//! and what it answers must agree with itself.

use kycmedia_media::{Context, Limits, MediaKind, analyse, probe, sniff};
use kycmedia_proto::{ImageContext, VideoContext, signing};

/// The cap the analysis target runs under: a tenth of the server's default
/// pixels and a quarter of its allocation, so one input stays well inside
/// libFuzzer's 2 GiB RSS limit and its 10 s timeout.
pub const LIMITS: Limits = Limits {
    max_pixels: 10_000_000,
    max_alloc: 64 * 1024 * 1024,
};

/// Every context a client can name, images first.
fn contexts() -> impl Iterator<Item = Context> {
    let images = ImageContext::ALL.iter().map(|&c| Context::Image(c));
    images.chain(VideoContext::ALL.iter().map(|&c| Context::Video(c)))
}

/// Sniffing is total and deterministic, and whatever the probe accepts it
/// accepts as the type sniffing named.
pub fn sniff_bytes(data: &[u8]) {
    let first = sniff(data).ok();
    assert_eq!(first, sniff(data).ok(), "sniffing is deterministic");
    if let Ok(p) = probe(data, &LIMITS) {
        assert_eq!(first, Some((p.mimetype, p.kind)), "probe and sniff agree");
    }
}

/// The probe (videos above all): a video it accepts has a duration and a
/// frame inside the pixel cap.
pub fn probe_bytes(data: &[u8]) {
    let Ok(p) = probe(data, &LIMITS) else {
        return;
    };
    if p.kind == MediaKind::Video {
        assert!(p.duration_ms.is_some(), "an accepted video has a duration");
    }
    if let (Some(w), Some(h)) = (p.width, p.height) {
        assert!(
            u64::from(w) * u64::from(h) <= LIMITS.max_pixels,
            "{w}×{h} passed the cap"
        );
    }
}

/// The full analysis under the context the first byte picks: scores stay
/// in `[0, 1]`, `matches` follows `accuracy`, and the probe it reports is
/// the probe of the same bytes.
pub fn analyse_bytes(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let all: Vec<Context> = contexts().collect();
    let context = all[usize::from(pick) % all.len()];
    let Ok(a) = analyse(context, bytes, &LIMITS) else {
        return;
    };
    for (what, v) in [("accuracy", a.accuracy), ("quality", a.quality), ("score", a.score)] {
        assert!((0.0..=1.0).contains(&v), "{what} {v} outside [0, 1]");
    }
    assert_eq!(a.matches, a.accuracy >= kycmedia_media::MATCH);
    assert_eq!(
        probe(bytes, &LIMITS).ok().as_ref(),
        Some(&a.probe),
        "analysis and probe agree"
    );
}

/// A signature header value: accepted exactly when it is 64 hex digits
/// (after trimming), and then it is what those digits spell; verifying
/// against it never panics.
pub fn signature_header(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parsed = signing::parse_signature(&text);
    let trimmed = text.trim();
    let well_formed = trimmed.len() == 64 && trimmed.bytes().all(|b| b.is_ascii_hexdigit());
    assert_eq!(parsed.is_some(), well_formed, "{trimmed:?}");
    if let Some(signature) = parsed {
        let spelled: String = signature.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(spelled, trimmed.to_ascii_lowercase());
        for scheme in [signing::Scheme::Hmac, signing::Scheme::Legacy] {
            let _ = signing::verify(scheme, b"secret", data, &signature);
        }
    }
}
