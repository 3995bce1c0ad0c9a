//! The steps of a capture flow, one row each: what is captured, with which
//! camera, behind which guide. Another flow (a document-and-face photo, a
//! passport without a back, a video) is another list of rows; the page and
//! the server read only this table.

use kycmedia_proto::{Context, ImageContext};

/// Which camera a step opens first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Camera {
    /// The rear camera (`facingMode: environment`): documents.
    Rear,
    /// The front camera (`facingMode: user`): selfies.
    Front,
}

impl Camera {
    /// The `facingMode` constraint of `getUserMedia`.
    pub fn facing_mode(self) -> &'static str {
        match self {
            Camera::Rear => "environment",
            Camera::Front => "user",
        }
    }
}

/// The outline drawn over the camera's preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guide {
    /// A card in landscape: ID-1, 85.6 × 54 mm.
    Card,
    /// An oval for a face.
    Face,
}

impl Guide {
    pub fn as_str(self) -> &'static str {
        match self {
            Guide::Card => "card",
            Guide::Face => "face",
        }
    }
}

/// One capture the person is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub context: Context,
    pub camera: Camera,
    pub guide: Guide,
}

/// An identity card, both sides, and a selfie: the provider's default flow.
pub const DOCUMENT_AND_SELFIE: &[Step] = &[
    Step {
        context: Context::Image(ImageContext::DocumentFront),
        camera: Camera::Rear,
        guide: Guide::Card,
    },
    Step {
        context: Context::Image(ImageContext::DocumentBack),
        camera: Camera::Rear,
        guide: Guide::Card,
    },
    Step {
        context: Context::Image(ImageContext::Face),
        camera: Camera::Front,
        guide: Guide::Face,
    },
];

/// The step of `flow` for the context named in a URL.
pub fn find(flow: &'static [Step], context: &str) -> Option<&'static Step> {
    flow.iter().find(|step| step.context.as_str() == context)
}
