//! The OpenAPI document's description (its paths come from the routes
//! themselves, `http::openapi_document`), what the layers around every route
//! add to each operation (`complete`), and the interactive docs (Swagger UI,
//! vendored: no network needed).

use utoipa::{
    OpenApi,
    openapi::{
        HeaderBuilder, ObjectBuilder, Ref, RefOr, Required, ResponseBuilder, Type,
        path::{Operation, ParameterIn, PathItem},
        schema::{KnownFormat, SchemaFormat},
    },
};
use utoipa_swagger_ui::{Config, SwaggerUi};

#[derive(OpenApi)]
#[openapi(info(
    title = "kycmedia",
    description = "Veriff-compatible Public API v1, media endpoints. Every request carries \
            X-AUTH-CLIENT (API key) and X-HMAC-SIGNATURE (HMAC-SHA256 of the body, or of the \
            path id for GET and DELETE); every authenticated response is signed the same way."
))]
pub struct ApiDoc;

/// A version-4 UUID in any case, as a path id must be (docs/api.md §3).
const UUID_V4: &str = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$";

/// A status every authenticated operation can answer because of a layer
/// around it, not its handler, with the contract's error body.
struct LayerStatus {
    status: &'static str,
    description: &'static str,
    /// Only on operations with a body (POST, PATCH).
    body_only: bool,
}

const LAYER_STATUSES: [LayerStatus; 5] = [
    LayerStatus {
        status: "401",
        description: "Authentication failed (1801–1804, 1812–1819). Unsigned.",
        body_only: false,
    },
    LayerStatus {
        status: "408",
        description: "The request outlived `--request-timeout-secs` (1101). Unsigned.",
        body_only: false,
    },
    LayerStatus {
        status: "413",
        description: "The body is over `--max-body-bytes` (1101). Unsigned.",
        body_only: true,
    },
    LayerStatus {
        status: "429",
        description: "Over the integration's or the client address's rate limit; `Retry-After` says how many \
                      seconds to wait.",
        body_only: false,
    },
    LayerStatus {
        status: "500",
        description: "An internal failure (1101); the cause is logged, never sent.",
        body_only: false,
    },
];

const ID_400: &str =
    "The path id has fewer than 20 or more than 40 characters (1001), or is not a version-4 UUID (1002).";

fn fail_response(description: String) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            utoipa::openapi::ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("FailBody")))
                .build(),
        )
        .into()
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("GET", item.get.as_mut()),
        ("POST", item.post.as_mut()),
        ("PATCH", item.patch.as_mut()),
        ("DELETE", item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|o| (method, o)))
}

/// Adds to every operation what the layers around its route answer
/// (`auth::authenticate`, the path id extractor, `observe::track`): the
/// path id's type and its 400, and 401, 408, 413, 429 and 500 with the
/// error body. Every route of the document is authenticated.
pub fn complete(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    for item in document.paths.paths.values_mut() {
        for (method, operation) in operations(item) {
            let mut has_path_id = false;
            for parameter in operation.parameters.iter_mut().flatten() {
                let RefOr::T(parameter) = parameter else { continue };
                if parameter.parameter_in == ParameterIn::Path && parameter.name == "id" {
                    has_path_id = true;
                    parameter.required = Required::True;
                    parameter.schema = Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                            .pattern(Some(UUID_V4))
                            .into(),
                    );
                }
            }
            let responses = &mut operation.responses.responses;
            if has_path_id {
                let description = match responses.get("400") {
                    Some(RefOr::T(handler)) => format!("{ID_400} {}", handler.description),
                    _ => ID_400.to_owned(),
                };
                responses.insert("400".to_owned(), fail_response(description));
            }
            let with_body = matches!(method, "POST" | "PATCH");
            for layer in LAYER_STATUSES.iter().filter(|l| with_body || !l.body_only) {
                let mut response = fail_response(layer.description.to_owned());
                if layer.status == "429"
                    && let RefOr::T(response) = &mut response
                {
                    response.headers.insert(
                        "Retry-After".to_owned(),
                        HeaderBuilder::new()
                            .schema(Some(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0))))
                            .description(Some("Seconds to wait before trying again."))
                            .build()
                            .into(),
                    );
                }
                responses.entry(layer.status.to_owned()).or_insert(response);
            }
        }
    }
    document
}

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
    use serde_json::Value;

    /// The document is the published contract: any change to it shows up
    /// here as a snapshot diff to review (`cargo insta review`).
    #[test]
    fn the_openapi_document_matches_its_reviewed_snapshot() {
        insta::assert_json_snapshot!(crate::http::openapi_document());
    }

    fn each_operation() -> Vec<(String, String, Value)> {
        let document = serde_json::to_value(crate::http::openapi_document()).unwrap();
        let mut found = Vec::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                found.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
        assert_eq!(found.len(), 11, "every operation of docs/api.md §3 and §7");
        found
    }

    #[test]
    fn every_operation_documents_the_refusals_of_authentication_timeouts_rate_limits_and_faults() {
        for (method, path, operation) in each_operation() {
            let mut statuses = vec!["401", "408", "429", "500"];
            if matches!(method.as_str(), "POST" | "PATCH") {
                statuses.push("413");
            }
            for status in statuses {
                assert_eq!(
                    operation["responses"][status]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/FailBody",
                    "{method} {path} {status}"
                );
            }
            assert!(
                operation["responses"]["429"]["headers"]["Retry-After"].is_object(),
                "{method} {path}"
            );
        }
    }

    #[test]
    fn every_path_id_is_a_version_4_uuid_and_its_refusal_a_documented_400() {
        for (method, path, operation) in each_operation() {
            if !path.contains("{id}") {
                continue;
            }
            let id = operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["in"] == "path" && p["name"] == "id")
                .unwrap_or_else(|| panic!("{method} {path} names its id"));
            assert_eq!(id["schema"]["format"], "uuid", "{method} {path}");
            assert_eq!(id["schema"]["pattern"], super::UUID_V4, "{method} {path}");
            let refusal = &operation["responses"]["400"];
            assert!(
                refusal["description"].as_str().unwrap().contains("(1001)"),
                "{method} {path}"
            );
            assert!(
                refusal["description"].as_str().unwrap().contains("(1002)"),
                "{method} {path}"
            );
            assert_eq!(
                refusal["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/FailBody"
            );
            assert!(operation["responses"]["404"].is_object(), "{method} {path} 404");
        }
    }

    #[test]
    fn every_request_body_has_a_schema_of_its_own() {
        for (method, path, operation) in each_operation() {
            if !matches!(method.as_str(), "POST" | "PATCH") {
                continue;
            }
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"]["$ref"];
            assert!(
                schema.as_str().is_some_and(|s| s.ends_with("Request")),
                "{method} {path}: {schema}"
            );
        }
    }
}
