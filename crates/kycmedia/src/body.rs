//! Reading JSON request bodies field by field, so that each way a field can
//! be wrong maps to the contract's code: unparseable is 1101, absent is
//! 1102, of the wrong type is 1104. Unknown fields are ignored. Each refusal
//! names the field in its reason.

use kycmedia_proto::ApiError;
use serde_json::{Map, Value};

use crate::error::Rejection;

pub type Object = Map<String, Value>;

/// The body as a JSON object.
pub fn object(body: &[u8]) -> Result<Object, Rejection> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(other) => Err(Rejection::new(
            ApiError::ValidationFailed,
            format!("the body must be a JSON object, not {}", type_name(&other)),
        )),
        Err(e) => Err(Rejection::new(
            ApiError::ValidationFailed,
            format!("the body is not JSON: {e}"),
        )),
    }
}

/// A field that must be present (not null) and an object.
pub fn required_object<'a>(object: &'a Object, key: &str) -> Result<&'a Object, Rejection> {
    optional_object(object, key)?.ok_or_else(|| missing(key))
}

/// A field that may be absent or null, else must be an object.
pub fn optional_object<'a>(object: &'a Object, key: &str) -> Result<Option<&'a Object>, Rejection> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(other) => Err(wrong_type(ApiError::InvalidParameters, key, "an object", other)),
    }
}

/// A field that may be absent or null, else must be a string; `wrong_type`
/// is the code for anything else.
pub fn optional_string<'a>(object: &'a Object, key: &str, wrong_code: ApiError) -> Result<Option<&'a str>, Rejection> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(wrong_type(wrong_code, key, "a string", other)),
    }
}

/// The refusal for a field that must be there and is not.
pub fn missing(key: &str) -> Rejection {
    Rejection::new(ApiError::MissingParameters, format!("`{key}` is missing"))
}

fn wrong_type(code: ApiError, key: &str, wanted: &str, found: &Value) -> Rejection {
    Rejection::new(code, format!("`{key}` must be {wanted}, not {}", type_name(found)))
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_names_the_field_and_what_was_found() {
        let body = object(br#"{"a":1,"b":"x"}"#).unwrap();
        let e = optional_object(&body, "a").unwrap_err();
        assert_eq!(e.error, ApiError::InvalidParameters);
        assert_eq!(e.reason.as_deref(), Some("`a` must be an object, not a number"));
        let e = optional_string(&body, "a", ApiError::VendorDataNotString).unwrap_err();
        assert_eq!(e.error, ApiError::VendorDataNotString);
        assert_eq!(
            required_object(&body, "c").unwrap_err().reason.as_deref(),
            Some("`c` is missing")
        );
        assert_eq!(
            object(b"[1]").unwrap_err().reason.as_deref(),
            Some("the body must be a JSON object, not an array")
        );
    }
}
