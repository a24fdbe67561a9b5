//! The OpenAPI document's frame: info, security scheme, shared schemas. Paths
//! come from the `#[utoipa::path]` handlers collected by `api_router`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldErrorBody, ProblemBody};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "citizen-feedback API",
        description = "Citizen reports (phản ánh hiện trường), triage, statistics and Open311 for a city.\n\nErrors are RFC 9457 `application/problem+json`, in Vietnamese by default or English with `Accept-Language: en`.",
        license(name = "MIT"),
    ),
    modifiers(&Security),
    components(schemas(ProblemBody, FieldErrorBody)),
    tags(
        (name = "accounts", description = "Registration, sessions and the caller's profile"),
        (name = "reports", description = "Filing reports, the citizen's view, media, the public map"),
        (name = "staff", description = "The triage queue and staff actions"),
        (name = "notifications", description = "The caller's inbox"),
        (name = "statistics", description = "Monthly figures, rankings, monthly close, exports"),
        (name = "reference", description = "Categories and the unit tree"),
        (name = "admin", description = "Units, categories, routing rules, staff accounts, API clients"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "Access token from /api/v1/auth/login, valid 15 minutes",
                    ))
                    .build(),
            ),
        );
    }
}
