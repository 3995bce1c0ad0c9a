//! Decisions: the provider's status codes and its decision-reason codes
//! (docs/api.md §10). A decision stores its status and reason code only;
//! the code and the reason text are looked up here, so they cannot drift.

use crate::wire::Status;

impl Status {
    /// The provider's code for a session in this status: 7001/7002 for the
    /// events, 9xxx for decisions; `None` for `created`, which is never
    /// announced.
    pub fn code(self) -> Option<u16> {
        Some(match self {
            Status::Created => return None,
            Status::Started => 7001,
            Status::Submitted => 7002,
            Status::Approved => 9001,
            Status::Declined => 9102,
            Status::ResubmissionRequested => 9103,
            Status::Expired | Status::Abandoned => 9104,
            Status::Review => 9121,
        })
    }
}

/// The reasons a session is declined (1xx) or sent back for resubmission
/// (2xx), with the provider's wording.
pub const REASONS: &[(i64, &str)] = &[
    (101, "Physical document not used"),
    (102, "Suspected document tampering"),
    (
        103,
        "Person showing the document does not appear to match document photo",
    ),
    (104, "Name entered does not match name on document"),
    (105, "Suspicious behaviour"),
    (106, "Known fraud"),
    (108, "Velocity/abuse duplicated end-user"),
    (109, "Velocity/abuse duplicated device"),
    (110, "Velocity/abuse duplicated ID"),
    (111, "Session fraudulently accessed"),
    (112, "Restricted IP location"),
    (113, "Suspicious behaviour - Identity Farming"),
    (120, "Person on the portrait does not appear to match reference photo"),
    (121, "User ID missing"),
    (122, "No reference found"),
    (123, "Unable to pass registry checks"),
    (124, "Face already exists in the face collection"),
    (127, "Face match with blocklist"),
    (128, "End User ID mismatch"),
    (129, "Invalid workflow"),
    (201, "Video and/or photos missing"),
    (202, "Face not clearly visible"),
    (203, "Full document not visible"),
    (204, "Poor image quality"),
    (205, "Document damaged"),
    (206, "Document type not supported"),
    (207, "Document expired"),
    (208, "Selfie missing"),
    (209, "Document photo missing"),
];

/// The decline the provider records on the attempt after the ninth
/// resubmission: a session takes at most ten attempts.
pub const RESUBMISSION_LIMIT_EXCEEDED: (i64, &str) = (539, "Resubmission limit exceeded");

/// Attempts a session may have; the last is declined with
/// `RESUBMISSION_LIMIT_EXCEEDED` instead of being sent back again.
pub const MAX_ATTEMPTS: i64 = 10;

/// The reason text of `code`, when the provider documents one.
pub fn reason(code: i64) -> Option<&'static str> {
    REASONS
        .iter()
        .chain([&RESUBMISSION_LIMIT_EXCEEDED])
        .find(|(c, _)| *c == code)
        .map(|(_, text)| *text)
}

/// Whether `code` may be given with `decision`: a decline takes a 1xx
/// reason, a resubmission request a 2xx one, and no other decision takes a
/// reason at all.
pub fn reason_fits(decision: Status, code: i64) -> bool {
    REASONS.iter().any(|(c, _)| *c == code)
        && match decision {
            Status::Declined => (100..200).contains(&code),
            Status::ResubmissionRequested => (200..300).contains(&code),
            _ => false,
        }
}

/// The reason a test integration's automatic decision records (the
/// first-name convention of `POST /v1/sessions`).
pub fn test_reason_code(decision: Status) -> Option<i64> {
    match decision {
        Status::Declined => Some(102),
        Status::ResubmissionRequested => Some(204),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declines_take_1xx_reasons_and_resubmissions_2xx() {
        assert!(reason_fits(Status::Declined, 102));
        assert!(!reason_fits(Status::Declined, 204));
        assert!(reason_fits(Status::ResubmissionRequested, 204));
        assert!(!reason_fits(Status::ResubmissionRequested, 102));
        assert!(!reason_fits(Status::Approved, 102));
        assert!(!reason_fits(Status::Declined, 199), "an undocumented code");
    }

    #[test]
    fn the_test_integrations_reasons_fit_their_decisions() {
        for status in [Status::Declined, Status::ResubmissionRequested] {
            assert!(reason_fits(status, test_reason_code(status).unwrap()));
        }
        assert_eq!(test_reason_code(Status::Approved), None);
    }

    #[test]
    fn the_contract_lists_every_reason_code_with_its_text() {
        let contract = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md"));
        for (code, reason) in REASONS {
            let row = format!("| {code} | {reason} |");
            assert!(contract.contains(&row), "docs/api.md §10 lacks {row}");
        }
    }

    #[test]
    fn expired_and_abandoned_share_9104_and_created_has_no_code() {
        assert_eq!(Status::Expired.code(), Some(9104));
        assert_eq!(Status::Abandoned.code(), Some(9104));
        assert_eq!(Status::Review.code(), Some(9121));
        assert_eq!(Status::Created.code(), None);
    }
}

/// A decision as `GET /v1/sessions/{id}/decision` and the decision webhook
/// carry it, keys in the order of the provider's own webhooks. kycmedia
/// keeps no personal data, so `person` and `document` hold their keys with
/// `null` values.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DecisionObject {
    /// When the session was created: RFC 3339, milliseconds, UTC.
    pub acceptance_time: String,
    /// When the decided attempt was submitted; `null` when it never was.
    pub submission_time: Option<String>,
    pub decision_time: String,
    pub code: u16,
    /// The session id.
    pub id: String,
    pub vendor_data: Option<String>,
    pub end_user_id: Option<String>,
    /// `approved`, `declined`, `resubmission_requested`, `expired`,
    /// `abandoned` or `review`.
    pub status: String,
    pub reason: Option<String>,
    pub reason_code: Option<i64>,
    // kycmedia always sends the fields below; `default` lets the SDK read
    // the provider's own webhooks, some of which lack them.
    /// The attempt that received this decision.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub attempt_id: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub person: Person,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub document: Document,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub comments: Vec<serde_json::Value>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub additional_verified_data: serde_json::Map<String, serde_json::Value>,
}

/// The person's data as the provider reports it; always empty here.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub citizenship: Option<String>,
    pub id_number: Option<String>,
    pub gender: Option<String>,
    pub date_of_birth: Option<String>,
    pub year_of_birth: Option<String>,
    pub place_of_birth: Option<String>,
    pub nationality: Option<String>,
    pub pep_sanction_match: Option<String>,
}

/// The document's data as the provider reports it; always empty here.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub number: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub country: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
}

/// `GET /v1/sessions/{id}/decision`: `verification` is `null` until the
/// session has a decision.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DecisionResponse {
    pub status: String,
    pub verification: Option<DecisionObject>,
    pub technical_data: TechnicalData,
}

/// The decision webhook's body.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DecisionWebhook {
    pub status: String,
    pub verification: DecisionObject,
    #[serde(default)]
    pub technical_data: TechnicalData,
}

/// The end user's IP address; kycmedia does not record it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TechnicalData {
    pub ip: Option<String>,
}
