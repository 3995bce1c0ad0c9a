//! The OpenAPI document's description (its paths come from the routes
//! themselves, `http::openapi_document`), and the interactive docs (Swagger
//! UI, vendored: no network needed).

use utoipa::OpenApi;
use utoipa_swagger_ui::{Config, SwaggerUi};

#[derive(OpenApi)]
#[openapi(info(
    title = "kycmedia",
    description = "Veriff-compatible Public API v1, media endpoints. Every request carries \
            X-AUTH-CLIENT (API key) and X-HMAC-SIGNATURE (HMAC-SHA256 of the body, or of the \
            path id for GET and DELETE); every authenticated response is signed the same way."
))]
pub struct ApiDoc;

/// `/openapi.json` and `/docs`. Swagger UI would otherwise ask a public
/// validator for a badge, so a browser on a public deployment would tell a
/// third party that someone reads these docs: validation is off.
pub fn docs(document: utoipa::openapi::OpenApi) -> SwaggerUi {
    SwaggerUi::new("/docs")
        .url("/openapi.json", document)
        .config(Config::default().validator_url("none"))
}

#[cfg(test)]
mod tests {
    /// The document is the published contract: any change to it shows up
    /// here as a snapshot diff to review (`cargo insta review`).
    #[test]
    fn the_openapi_document_matches_its_reviewed_snapshot() {
        insta::assert_json_snapshot!(crate::http::openapi_document());
    }
}
