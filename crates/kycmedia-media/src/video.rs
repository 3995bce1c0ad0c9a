//! Videos judged on what their keyframes show, as photos are, when the
//! codec has a decoder here (H.264); on their container's facts otherwise.

use kycmedia_proto::VideoContext;

use crate::evidence::Evidence;
use crate::guard::guard;
use crate::{Limits, MATCH, MediaError, accuracy, frames, quality, score};

/// Share of a decoded clip's accuracy that comes from its keyframes: what
/// the frames show decides whether a clip matches its context, while the
/// container facts (a plausible duration, size and bitrate) still move it.
const FRAMES_WEIGHT: f32 = 0.75;

/// Accuracy and quality of a video in `context`, recording in `evidence`
/// (whose `video` facts are already set) what was decoded and seen.
///
/// Without keyframes, exactly the container-facts judgement: accuracy from
/// [`accuracy::video`], quality from resolution and duration. With them,
/// the best keyframe (by the ranking score) is judged by the image rule
/// for the context ([`accuracy::frame_family`]) and measured as a photo,
/// and its evidence (faces, card outline, pixel measures) is the clip's.
/// "Best" is the best-measured keyframe that matches the context, or, when
/// none does, the one with the highest ranking score.
///
/// # Errors
/// Those of [`frames::keyframes`] and of the detectors.
pub(crate) fn judge(
    context: VideoContext,
    mimetype: &str,
    bytes: &[u8],
    duration_ms: Option<u64>,
    limits: &Limits,
    evidence: &mut Evidence,
) -> Result<(f32, f32), MediaError> {
    let facts = accuracy::video(context, evidence);
    let timed = quality::duration_factor(duration_ms);
    let keyframes = frames::keyframes(mimetype, bytes, limits)?;
    if let Some(video) = evidence.video.as_mut() {
        video.codec = keyframes.codec;
        video.frames_decoded = u32::try_from(keyframes.planes.len()).unwrap_or(u32::MAX);
    }
    if let Some(why) = keyframes.undecoded {
        evidence.findings.push(why);
        // As for a photo whose pixels are not decoded: its quality is from
        // what the container says, at half weight, so that a clip nobody
        // looked at does not outrank one whose frames were measured.
        return Ok((facts, evidence.resolution * timed * quality::UNMEASURED));
    }
    let family = accuracy::frame_family(context);
    // Measured first (a few ms each), then the detectors (most of the cost)
    // on the best-measured keyframe first, stopping at the first that
    // matches: a clip that shows what it should costs one detector pass.
    let mut measured: Vec<_> = keyframes
        .planes
        .iter()
        .map(|plane| {
            let measures = quality::measure(plane, None);
            (quality::combine(&measures, evidence.resolution), measures, plane)
        })
        .collect();
    measured.sort_by(|a, b| b.0.total_cmp(&a.0)); // stable: ties keep clip order
    let mut best: Option<(f32, f32, f32, Evidence)> = None;
    for (_, mut measures, plane) in measured {
        let mut seen = Evidence {
            family: evidence.family,
            resolution: evidence.resolution,
            ..Evidence::default()
        };
        let full = crate::decode::Full::of_plane(plane);
        let accuracy = guard("detectors", || {
            Ok(accuracy::image(family, plane, None, &full, &mut seen))
        })?;
        // As for a selfie photo: a face is judged by how it is exposed.
        if family == accuracy::Family::Face
            && let Some(exposure) = seen
                .faces
                .first()
                .and_then(|face| quality::subject_exposure(plane, face))
        {
            measures.exposure = exposure;
        }
        seen.pixels = Some(measures);
        let quality = quality::combine(&measures, evidence.resolution);
        let ranked = score(accuracy, quality);
        if best.as_ref().is_none_or(|b| ranked > b.2) {
            best = Some((accuracy, quality, ranked, seen));
        }
        if accuracy >= MATCH {
            break;
        }
    }
    let Some((frame_accuracy, frame_quality, _, seen)) = best else {
        return Ok((facts, evidence.resolution * timed));
    };
    let mut findings = vec![decoded(&keyframes)];
    findings.extend(seen.findings.iter().cloned());
    findings.append(&mut evidence.findings);
    *evidence = Evidence {
        family: evidence.family,
        resolution: evidence.resolution,
        video: evidence.video,
        findings,
        ..seen
    };
    let accuracy = FRAMES_WEIGHT * frame_accuracy + (1.0 - FRAMES_WEIGHT) * facts;
    Ok((accuracy, frame_quality * timed))
}

/// The finding that says what was decoded: "3 H.264 keyframes decoded".
fn decoded(keyframes: &frames::Keyframes) -> String {
    let n = keyframes.planes.len();
    let codec = frames::display_name(keyframes.codec);
    let plural = if n == 1 { "" } else { "s" };
    match keyframes.failed {
        0 => format!("{n} {codec} keyframe{plural} decoded, judged on the best"),
        failed => format!("{n} {codec} keyframe{plural} decoded ({failed} more did not), judged on the best"),
    }
}
