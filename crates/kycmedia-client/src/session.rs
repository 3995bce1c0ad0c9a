//! The body of `POST /v1/sessions`, which the shared wire crate does not
//! model (the server reads it leniently as JSON).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What to create a session with: the inner object of
/// `{"verification": {...}}`. Every field is optional.
///
/// `extra` carries fields this SDK does not know yet, so that a newer API
/// field can be sent without waiting for an SDK release.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSession {
    /// Where the end user returns after the flow; must be `https`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
    /// Who is being verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<Person>,
    /// The document they will show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Document>,
    /// The integrator's own reference, up to 1000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_data: Option<String>,
    /// The integrator's id of the end user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_user_id: Option<String>,
    /// Any further fields, sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl NewSession {
    /// A session with no details; the API fills in defaults.
    pub fn new() -> Self {
        NewSession::default()
    }

    /// Sets `vendorData`, the usual way to tie a session to one's own records.
    pub fn vendor_data(mut self, vendor_data: impl Into<String>) -> Self {
        self.vendor_data = Some(vendor_data.into());
        self
    }

    /// Sets the `https` callback URL.
    pub fn callback(mut self, callback: impl Into<String>) -> Self {
        self.callback = Some(callback.into());
        self
    }
}

/// `verification.person`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// National id number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    /// Any further fields, sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `verification.document`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Document number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// `PASSPORT`, `ID_CARD`, `DRIVERS_LICENSE`, `RESIDENCE_PERMIT`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// ISO 3166-1 alpha-2 issuing country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Any further fields, sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_session_serialises_to_an_empty_object_and_details_use_camel_case() {
        assert_eq!(serde_json::to_string(&NewSession::new()).unwrap(), "{}");
        let session = NewSession {
            person: Some(Person {
                first_name: Some("John".into()),
                ..Person::default()
            }),
            document: Some(Document {
                kind: Some("PASSPORT".into()),
                ..Document::default()
            }),
            ..NewSession::new().vendor_data("ref-1")
        };
        assert_eq!(
            serde_json::to_string(&session).unwrap(),
            r#"{"person":{"firstName":"John"},"document":{"type":"PASSPORT"},"vendorData":"ref-1"}"#
        );
    }
}
