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

/// The error answers every operation of a kind can give, added where a
/// handler's annotation does not list them already, so the spec names every
/// status the server answers: 401 and 403 where a token is required (and 401
/// wherever one may be sent: a bad token is refused even on public routes),
/// 404 where the path names something, 400 for a malformed request, 415 and
/// 413 where there is a body, 422 where anything is validated. Open311
/// answers its own error lists and documents them itself.
pub fn complete(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

    let problem = |what: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(what)
                .content(
                    crate::http::middleware::PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ProblemBody")))
                        .build(),
                )
                .build(),
        )
    };
    // The database is down or restarting: try again after `Retry-After`.
    let unavailable = {
        use utoipa::openapi::header::HeaderBuilder;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        RefOr::T(
            ResponseBuilder::new()
                .description(
                    "The database is unavailable for a moment (restarting, unreachable): \
                     send the same request again after `Retry-After` seconds (a filing with \
                     the same `Idempotency-Key`, so it is filed once whatever happened)",
                )
                .header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
                        .description(Some("Seconds to wait before trying again"))
                        .build(),
                )
                .content(
                    crate::http::middleware::PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ProblemBody")))
                        .build(),
                )
                .build(),
        )
    };
    // The server refuses control characters in every text (NUL breaks
    // PostgreSQL): say so on every free-text string.
    // Request bodies: a required field is never null, and a required free
    // text must hold more than spaces (the server refuses blank text).
    let bodies = request_body_schemas(api);
    if let Some(components) = api.components.as_mut() {
        components
            .schemas
            .insert(JSON_WITHOUT_NUL.to_owned(), json_without_nul());
        for name in &bodies {
            if let Some(schema) = components.schemas.get_mut(name) {
                required_means_given(schema);
            }
        }
        for (name, schema) in components.schemas.iter_mut() {
            // Problems echo what the client sent (a bad parameter's name).
            if name != "ProblemBody" && name != "FieldErrorBody" {
                no_control_characters(schema);
            }
        }
    }
    for (path, item) in api.paths.paths.iter_mut() {
        if !path.starts_with("/api/") {
            continue;
        }
        let has_path_params = path.contains('{');
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let has_query = op.parameters.iter().flatten().any(|p| match p {
                RefOr::T(p) => matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Header),
                RefOr::Ref(_) => true,
            });
            let has_body = op.request_body.is_some();
            for p in op.parameters.iter_mut().flatten() {
                if let RefOr::T(p) = p
                    && let Some(schema) = p.schema.as_mut()
                {
                    no_control_characters(schema);
                }
            }
            let mut add = |status: &str, what: &str| {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(what));
            };
            add("401", "Missing, expired or revoked access token");
            if secured {
                add("403", "The caller's role may not do this");
            }
            if has_path_params || has_query {
                add("404", "No such resource, or not visible to the caller");
            }
            if has_body || has_query || has_path_params {
                add("400", "A malformed request");
                add("422", "Validation failed: `errors` names each bad field");
            }
            if has_body {
                add("413", "The body is larger than allowed");
                add("415", "The body's content type is not accepted");
            }
            // Every operation that reads or writes the database. An
            // operation with a 503 of its own (a saturated hashing pool)
            // gets this cause too, and the header.
            match op.responses.responses.entry("503".to_owned()) {
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(unavailable.clone());
                }
                std::collections::btree_map::Entry::Occupied(mut e) => {
                    if let (RefOr::T(own), RefOr::T(generic)) = (e.get_mut(), &unavailable) {
                        own.description =
                            format!("{}. Or: {}", generic.description, own.description);
                        for (name, header) in &generic.headers {
                            own.headers
                                .entry(name.clone())
                                .or_insert_with(|| header.clone());
                        }
                    }
                }
            }
        }
    }
}

/// The names of the component schemas operations take as JSON bodies
/// (multipart forms ignore parts they do not read, whatever is in them).
fn request_body_schemas(api: &utoipa::openapi::OpenApi) -> Vec<String> {
    use utoipa::openapi::RefOr;
    let mut names = vec![];
    for item in api.paths.paths.values() {
        for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
            .into_iter()
            .flatten()
        {
            let Some(RefOr::T(body)) = &op.request_body else {
                continue;
            };
            for (media_type, content) in &body.content {
                if !media_type.contains("json") {
                    continue;
                }
                if let RefOr::T(content) = content
                    && let Some(RefOr::Ref(r)) = &content.schema
                    && let Some(name) = r.ref_location.rsplit('/').next()
                {
                    names.push(name.to_owned());
                }
            }
        }
    }
    names
}

/// Free text with at least one character that is not a space.
pub const NONBLANK_TEXT_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// Any JSON with no NUL character in any string or key: what a body may
/// carry besides the fields an operation reads (it ignores them, but a NUL
/// anywhere is refused, as PostgreSQL cannot store one).
const JSON_WITHOUT_NUL: &str = "JsonWithoutNul";

fn json_without_nul() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{
        AdditionalProperties, AnyOfBuilder, ArrayBuilder, ObjectBuilder, SchemaType, Type,
    };
    use utoipa::openapi::{Ref, RefOr};
    let me = || Ref::from_schema_name(JSON_WITHOUT_NUL);
    let no_nul = "^[^\\u0000]*$";
    AnyOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(SchemaType::from_iter([
            Type::Number,
            Type::Boolean,
            Type::Null,
        ])))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(no_nul)),
        )
        .item(ArrayBuilder::new().items(me()))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property_names(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(no_nul)),
                ))
                .additional_properties(Some(AdditionalProperties::RefOr(RefOr::Ref(me())))),
        )
        .description(Some(
            "Any JSON without a NUL character in a string or a key",
        ))
        .into()
}

/// In a request body's schema: required properties are not nullable, and
/// required free text is not blank; fields it does not read may be any
/// JSON without NUL.
fn required_means_given(schema: &mut utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
    let RefOr::T(Schema::Object(o)) = schema else {
        return;
    };
    if o.property_names.is_none() {
        o.property_names = Some(Box::new(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[^\\u0000]*$"))
                .into(),
        ));
    }
    if o.additional_properties.is_none() {
        o.additional_properties = Some(Box::new(
            utoipa::openapi::schema::AdditionalProperties::RefOr(RefOr::Ref(
                utoipa::openapi::Ref::from_schema_name(JSON_WITHOUT_NUL),
            )),
        ));
    }
    let required = o.required.clone();
    for name in required {
        let Some(RefOr::T(Schema::Object(p))) = o.properties.get_mut(&name) else {
            continue;
        };
        if let SchemaType::Array(types) = &p.schema_type {
            let kept: Vec<Type> = types
                .iter()
                .filter(|t| **t != Type::Null)
                .cloned()
                .collect();
            p.schema_type = match kept.as_slice() {
                [one] => SchemaType::Type(one.clone()),
                _ => SchemaType::Array(kept),
            };
        }
        let is_string = p.schema_type == SchemaType::Type(Type::String);
        if is_string && p.pattern.is_none() && p.format.is_none() && p.enum_values.is_none() {
            p.pattern = Some(NONBLANK_TEXT_PATTERN.to_owned());
        }
    }
}

/// Text without control characters other than tab and line breaks.
pub const TEXT_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// Adds [`TEXT_PATTERN`] to every free string (no pattern, format or enum
/// of its own) in `schema`, its properties and items.
fn no_control_characters(schema: &mut utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(o) => {
            let is_string = match &o.schema_type {
                SchemaType::Type(Type::String) => true,
                SchemaType::Array(types) => types.contains(&Type::String),
                _ => false,
            };
            if is_string && o.pattern.is_none() && o.format.is_none() && o.enum_values.is_none() {
                o.pattern = Some(TEXT_PATTERN.to_owned());
            }
            for p in o.properties.values_mut() {
                no_control_characters(p);
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                no_control_characters(items);
            }
        }
        Schema::OneOf(o) => o.items.iter_mut().for_each(no_control_characters),
        Schema::AllOf(o) => o.items.iter_mut().for_each(no_control_characters),
        Schema::AnyOf(o) => o.items.iter_mut().for_each(no_control_characters),
        _ => {}
    }
}

/// A string parameter that takes one of `values` (what the server accepts),
/// or the empty string (an empty parameter counts as absent).
pub fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> utoipa::openapi::schema::Object {
    one_of_exactly(values.into_iter().chain([""]))
}

/// A year from 1970 and a month: `YYYY-MM`.
const MONTH: &str = r"(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])";

/// A calendar month, `YYYY-MM`, or empty (an empty parameter counts as absent).
pub fn month() -> utoipa::openapi::schema::Object {
    with_example(pattern(&format!("^({MONTH})?$")), "2026-05")
}

/// A calendar month that must be given, `YYYY-MM`.
pub fn month_required() -> utoipa::openapi::schema::Object {
    with_example(pattern(&format!("^{MONTH}$")), "2026-05")
}

const UUID: &str = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/// A UUID (or empty: absent).
pub fn uuid() -> utoipa::openapi::schema::Object {
    pattern(&format!("^({UUID})?$"))
}

/// An administrative area code: 1–32 letters, digits, `.` or `-` (or empty).
pub fn area_code() -> utoipa::openapi::schema::Object {
    pattern(r"^([A-Za-z0-9][A-Za-z0-9.-]{0,31})?$")
}

fn with_example(
    mut o: utoipa::openapi::schema::Object,
    example: &str,
) -> utoipa::openapi::schema::Object {
    o.examples = vec![serde_json::Value::from(example)];
    o
}

fn pattern(p: &str) -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(p))
        .build()
}

/// `true` or `false` (or empty).
pub fn boolean() -> utoipa::openapi::schema::Object {
    one_of(["true", "false"])
}

/// A page size, 1–100 (or empty: the default).
pub fn limit() -> utoipa::openapi::schema::Object {
    pattern(r"^([1-9][0-9]?|100)?$")
}

/// `me` or a user id (or empty).
pub fn me_or_uuid() -> utoipa::openapi::schema::Object {
    pattern(&format!("^(me|{UUID})?$"))
}

/// A day, `YYYY-MM-DD` (or empty). An RFC 3339 instant is accepted too.
pub fn day() -> utoipa::openapi::schema::Object {
    pattern(r"^((19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$")
}

/// `minLng,minLat,maxLng,maxLat` (or empty).
pub fn bbox() -> utoipa::openapi::schema::Object {
    pattern(
        r"^(-?1?[0-7]?[0-9](\.[0-9]+)?,-?[1-8]?[0-9](\.[0-9]+)?,-?1?[0-7]?[0-9](\.[0-9]+)?,-?[1-8]?[0-9](\.[0-9]+)?)?$",
    )
}

/// A repeatable parameter taking one of `values` each time.
pub fn list_of<'a>(values: impl IntoIterator<Item = &'a str>) -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(one_of(values))
        .build()
}

/// One of `values`, or null (absent).
pub fn nullable_one_of<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(
            values
                .into_iter()
                .map(serde_json::Value::from)
                .chain([serde_json::Value::Null]),
        ))
        .build()
}

/// Text that is not blank, or null (no change).
pub fn nonblank_or_null() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .pattern(Some(NONBLANK_TEXT_PATTERN))
        .build()
}

/// Languages: `vi` or `en`, or null.
pub fn locale_or_null() -> utoipa::openapi::schema::Object {
    nullable_one_of(["vi", "en"])
}

/// Exactly one of `values` (no empty string).
pub fn one_of_exactly<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.into_iter().map(str::to_owned)))
        .build()
}
