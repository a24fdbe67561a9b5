//! Extractors that hand a handler the report it may touch, already loaded and
//! already scoped (as svix's permission extractors do): a handler that takes
//! one cannot forget the check. What the caller may not see is 404, so ids
//! cannot be probed; who is calling is checked first (401, 403).

use axum::extract::{FromRef, FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use sea_orm::EntityTrait;
use uuid::Uuid;

use super::scope::{Access, StaffScope, access};
use super::view::StaffLens;
use crate::auth::extract::{Citizen, CurrentUser, Staff};
use crate::domain::Role;
use crate::entities::reports;
use crate::error::{AppError, AppResult};
use crate::messages::Msg;
use crate::state::AppState;

async fn report_id<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<Uuid, AppError> {
    Path::<Uuid>::from_request_parts(parts, state)
        .await
        .map(|Path(id)| id)
        .map_err(|_| AppError::BadRequest(Msg::BadRequest))
}

/// The report and how `viewer` stands to it; 404 when they may not see it.
async fn load_visible(
    state: &AppState,
    viewer: &CurrentUser,
    id: Uuid,
) -> Result<(reports::Model, Access), AppError> {
    let r = reports::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let a = access(&state.db, Some(&viewer.actor()), &r)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((r, a))
}

/// `{id}` of a report; a 400 problem when it is not a UUID. For a handler
/// that loads the report its own way (`GET /reports/{id}`: with its
/// relations, in one statement).
pub struct ReportId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for ReportId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        report_id(parts, state).await.map(ReportId)
    }
}

/// `{id}`: a report the signed-in caller takes part in: its reporter, or
/// staff in scope. A public report of someone else is 404 here.
pub struct ParticipantReport {
    pub report: reports::Model,
    pub access: Access,
    pub user: CurrentUser,
}

impl<S> FromRequestParts<S> for ParticipantReport
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        let id = report_id(parts, state).await?;
        let (report, access) = load_visible(&AppState::from_ref(state), &user, id).await?;
        if !access.is_full() {
            return Err(AppError::NotFound);
        }
        Ok(ParticipantReport {
            report,
            access,
            user,
        })
    }
}

/// `{id}`: the caller's own report. 404 when they may not see it; 403 when
/// they may see it but did not file it.
pub struct OwnReport {
    pub report: reports::Model,
    pub user: CurrentUser,
}

impl<S> FromRequestParts<S> for OwnReport
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        let id = report_id(parts, state).await?;
        let (report, access) = load_visible(&AppState::from_ref(state), &user, id).await?;
        if access != Access::Owner {
            return Err(AppError::Forbidden);
        }
        Ok(OwnReport { report, user })
    }
}

/// `{id}`: a public report a citizen may follow; 404 for anything else.
pub struct FollowableReport {
    pub report: reports::Model,
    pub user: CurrentUser,
}

impl<S> FromRequestParts<S> for FollowableReport
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Citizen(user) = Citizen::from_request_parts(parts, state).await?;
        let id = report_id(parts, state).await?;
        let (report, _) = load_visible(&AppState::from_ref(state), &user, id).await?;
        if !report.is_public {
            return Err(AppError::NotFound);
        }
        Ok(FollowableReport { report, user })
    }
}

/// `{id}`: a report in the staff caller's scope, with that scope (403 for
/// citizens, 404 out of scope).
pub struct ScopedReport {
    pub report: reports::Model,
    pub user: CurrentUser,
    pub scope: StaffScope,
}

impl<S> FromRequestParts<S> for ScopedReport
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Staff(user) = Staff::from_request_parts(parts, state).await?;
        let id = report_id(parts, state).await?;
        let state = AppState::from_ref(state);
        let scope = StaffScope::of(&state.db, &user.actor())
            .await?
            .ok_or(AppError::NotFound)?;
        let report = scope.find(&state.db, id).await?.ok_or(AppError::NotFound)?;
        Ok(ScopedReport {
            report,
            user,
            scope,
        })
    }
}

/// The `ETag` header of an answer that is one report.
pub type ETag = [(HeaderName, HeaderValue); 1];

/// `ETag: "<version>"` for an answer that is one report (its `version`).
pub fn etag(version: i32) -> ETag {
    let value = HeaderValue::try_from(format!("\"{version}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    [(header::ETAG, value)]
}

/// The version an `If-Match` header asks for: `None` without one or for `*`
/// (any version), `"<n>"` or `W/"<n>"` for version n (a weak tag compares the
/// same: the version is all there is). Anything else, a list of tags
/// included, is a 422 naming the header.
pub fn if_match_version(headers: &HeaderMap) -> Result<Option<i32>, AppError> {
    let mut values = headers.get_all(header::IF_MATCH).iter();
    let Some(v) = values.next() else {
        return Ok(None);
    };
    let bad = || AppError::field("If-Match", Msg::InvalidIfMatch);
    if values.next().is_some() {
        return Err(bad());
    }
    parse_if_match(v.to_str().map_err(|_| bad())?).ok_or_else(bad)
}

/// `Some(None)` for `*`, `Some(Some(n))` for `"n"` or `W/"n"`, `None` if
/// malformed.
fn parse_if_match(s: &str) -> Option<Option<i32>> {
    let s = s.trim();
    if s == "*" {
        return Some(None);
    }
    let tag = s.strip_prefix("W/").unwrap_or(s);
    let n = tag.strip_prefix('"')?.strip_suffix('"')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse::<i32>().ok().map(Some)
}

/// What staff of `role` see on top of a report now (`allowed_actions`,
/// `due_soon`).
pub async fn staff_lens(state: &AppState, role: Role) -> AppResult<StaffLens> {
    StaffLens::load(
        state.ctx(),
        role,
        state.config.notifications.deadline_warning_hours,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::parse_if_match;

    #[test]
    fn if_match_is_any_or_one_quoted_version() {
        assert_eq!(parse_if_match("*"), Some(None));
        assert_eq!(parse_if_match("\"3\""), Some(Some(3)));
        assert_eq!(parse_if_match(" W/\"12\" "), Some(Some(12)));
        assert_eq!(parse_if_match("\"0\""), Some(Some(0)));
        for bad in [
            "",
            "3",
            "\"\"",
            "\"-1\"",
            "\"+1\"",
            "\"1\", \"2\"",
            "w/\"1\"",
            "\"1",
            "\"a\"",
            "\"99999999999\"",
            "W/*",
        ] {
            assert_eq!(parse_if_match(bad), None, "{bad}");
        }
    }
}
