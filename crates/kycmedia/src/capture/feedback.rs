//! What to tell a person about a photo they just took, from what the
//! analysis saw: the detectors' issues (no face, the wrong side, …) and the
//! pixel measures (too dark, blurred, …). Advice only: the person may go
//! on, and the reviewer decides.

use kycmedia_media::{Evidence, Issue};

/// Exposure score below which a photo is called too dark or too bright,
/// whichever way its mean luma errs.
const POOR_EXPOSURE: f32 = 0.7;
/// Sharpness score below which a photo is called blurred. A sharp phone
/// photo scores above 0.5, the blurred fixture 0.002.
const BLURRED: f32 = 0.15;
/// Resolution factor below which a photo is called too small.
const TOO_SMALL: f32 = 0.5;

/// One piece of advice; its words are `hint.<code>` in the strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    Issue(Issue),
    TooDark,
    TooBright,
    Blurred,
    TooSmall,
}

impl Hint {
    /// Every hint, for the test that each has its words.
    #[cfg(test)]
    pub const ALL: &[Hint] = &[
        Hint::Issue(Issue::NoFace),
        Hint::Issue(Issue::FaceTooSmall),
        Hint::Issue(Issue::MoreThanOnePerson),
        Hint::Issue(Issue::PortraitNotLive),
        Hint::Issue(Issue::Recaptured),
        Hint::Issue(Issue::NoDocument),
        Hint::Issue(Issue::BackSide),
        Hint::Issue(Issue::FrontSide),
        Hint::Issue(Issue::CodeUnreadable),
        Hint::Issue(Issue::NoPrint),
        Hint::Issue(Issue::FaceCutOff),
        Hint::Issue(Issue::HeadTurned),
        Hint::Issue(Issue::HeadTilted),
        Hint::Issue(Issue::EyesHidden),
        Hint::Issue(Issue::MouthHidden),
        Hint::Issue(Issue::UnevenLighting),
        Hint::Issue(Issue::Glare),
        Hint::Issue(Issue::DocumentCutOff),
        Hint::Issue(Issue::DocumentTooFar),
        Hint::Issue(Issue::MrzUnreadable),
        Hint::TooDark,
        Hint::TooBright,
        Hint::Blurred,
        Hint::TooSmall,
    ];

    /// The code the page gets: `too-dark`, `back-side`, ….
    pub fn code(self) -> String {
        match self {
            Hint::Issue(issue) => serde_json::to_value(issue)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            Hint::TooDark => "too-dark".to_owned(),
            Hint::TooBright => "too-bright".to_owned(),
            Hint::Blurred => "blurred".to_owned(),
            Hint::TooSmall => "too-small".to_owned(),
        }
    }

    /// Its key in the strings (the page's script builds the same).
    #[cfg(test)]
    pub fn key(self) -> String {
        format!("hint.{}", self.code())
    }
}

/// The advice for one analysed photo, most important first: what it shows,
/// then how it was taken.
pub fn hints(evidence: &Evidence) -> Vec<Hint> {
    let mut hints: Vec<Hint> = evidence.issues.iter().copied().map(Hint::Issue).collect();
    if let Some(pixels) = &evidence.pixels {
        if pixels.exposure < POOR_EXPOSURE {
            hints.push(if pixels.brightness < 0.5 {
                Hint::TooDark
            } else {
                Hint::TooBright
            });
        }
        if pixels.sharpness < BLURRED {
            hints.push(Hint::Blurred);
        }
    }
    if evidence.resolution < TOO_SMALL {
        hints.push(Hint::TooSmall);
    }
    hints
}

#[cfg(test)]
mod tests {
    use kycmedia_proto::{Context, ImageContext};

    use super::*;

    fn advice(context: ImageContext, fixture: &str) -> Vec<Hint> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures")
            .join(fixture);
        let bytes = std::fs::read(&path).unwrap();
        let analysis =
            kycmedia_media::analyse(Context::Image(context), &bytes, &kycmedia_media::Limits::DEFAULT).unwrap();
        hints(&analysis.evidence)
    }

    #[test]
    fn a_good_selfie_and_the_right_document_sides_get_no_advice() {
        assert_eq!(advice(ImageContext::Face, "face.jpg"), []);
        assert_eq!(advice(ImageContext::DocumentFront, "document-front.jpg"), []);
        assert_eq!(advice(ImageContext::DocumentBack, "document-back.jpg"), []);
    }

    #[test]
    fn a_dark_bright_or_blurred_selfie_is_told_so() {
        assert_eq!(advice(ImageContext::Face, "face-dark.jpg"), [Hint::TooDark]);
        assert!(advice(ImageContext::Face, "face-bright.jpg").contains(&Hint::TooBright));
        assert_eq!(advice(ImageContext::Face, "face-blurred.jpg"), [Hint::Blurred]);
    }

    #[test]
    fn the_wrong_side_and_a_missing_face_are_told_so() {
        assert_eq!(
            advice(ImageContext::DocumentFront, "document-back.jpg"),
            [Hint::Issue(Issue::BackSide)]
        );
        assert_eq!(
            advice(ImageContext::DocumentBack, "document-front.jpg"),
            [Hint::Issue(Issue::FrontSide)]
        );
        assert!(advice(ImageContext::Face, "document-back.jpg").contains(&Hint::Issue(Issue::NoFace)));
    }

    #[test]
    fn each_hint_has_its_own_code() {
        let codes: std::collections::HashSet<String> = Hint::ALL.iter().map(|h| h.code()).collect();
        assert_eq!(codes.len(), Hint::ALL.len());
        assert!(codes.iter().all(|c| !c.is_empty()), "{codes:?}");
    }
}
