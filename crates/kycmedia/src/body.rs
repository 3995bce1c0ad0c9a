//! Reading JSON request bodies field by field, so that each way a field can
//! be wrong maps to the contract's code: unparseable is 1101, absent is
//! 1102, of the wrong type is 1104. Unknown fields are ignored.

use kycmedia_proto::ApiError;
use serde_json::{Map, Value};

pub type Object = Map<String, Value>;

/// The body as a JSON object.
pub fn object(body: &[u8]) -> Result<Object, ApiError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(ApiError::ValidationFailed),
    }
}

/// A field that must be present (not null) and an object.
pub fn required_object<'a>(object: &'a Object, key: &str) -> Result<&'a Object, ApiError> {
    optional_object(object, key)?.ok_or(ApiError::MissingParameters)
}

/// A field that may be absent or null, else must be an object.
pub fn optional_object<'a>(object: &'a Object, key: &str) -> Result<Option<&'a Object>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(ApiError::InvalidParameters),
    }
}

/// A field that may be absent or null, else must be a string; `wrong_type`
/// is the code for anything else.
pub fn optional_string<'a>(object: &'a Object, key: &str, wrong_type: ApiError) -> Result<Option<&'a str>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(wrong_type),
    }
}
