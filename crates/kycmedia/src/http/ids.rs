//! The id in a request path, checked before anything is looked up.

use axum::{
    extract::{FromRequestParts, Path},
    http::request::Parts,
};
use kycmedia_proto::ApiError;

use crate::error::AppError;

/// A path id that is a UUID v4, normalised to lower-case hyphenated form,
/// as the id type `T` of what it names (`crate::ids`).
pub struct PathId<T>(pub T);

/// Checks a path id: 20 to 40 characters (1001), then a UUID v4 (1002).
pub fn validate(id: &str) -> Result<String, ApiError> {
    let length = id.chars().count();
    if !(20..=40).contains(&length) {
        return Err(ApiError::IdLength);
    }
    match uuid::Uuid::try_parse(id) {
        Ok(uuid) if uuid.get_version_num() == 4 && uuid.get_variant() == uuid::Variant::RFC4122 => {
            Ok(uuid.hyphenated().to_string())
        }
        _ => Err(ApiError::IdNotUuid),
    }
}

impl<S: Send + Sync, T: From<String>> FromRequestParts<S> for PathId<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        Ok(PathId(T::from(validate(&id)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_the_wrong_length_are_1001_and_non_uuids_are_1002() {
        assert_eq!(validate("abc"), Err(ApiError::IdLength));
        assert_eq!(validate(&"a".repeat(41)), Err(ApiError::IdLength));
        // The seed's own example ids are not valid UUIDs.
        assert_eq!(
            validate("e7ab18d1-5545-5e47-af7b-e23gb6247f80"),
            Err(ApiError::IdNotUuid)
        );
        assert_eq!(
            validate("00000000-0000-0000-0000-000000000000"),
            Err(ApiError::IdNotUuid)
        );
        assert_eq!(
            validate("A1C68AEA-7F4D-478D-80AB-CA9356074F69"),
            Ok("a1c68aea-7f4d-478d-80ab-ca9356074f69".to_owned())
        );
    }
}
