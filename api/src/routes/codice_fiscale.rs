//! Codice fiscale check (`validateCodiceFiscale`) and the line format of
//! `combipat cf check`. An invalid code is a normal answer here, not an
//! error: the point of the call is to say whether and why it is invalid.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Datelike, NaiveDate};
use domain::codice_fiscale::{CodiceFiscale, Sex};
use reference::municipality_by_cadastral_code;
use serde::Serialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/codice-fiscale/{code}",
        get(validate_codice_fiscale),
    )
}

/// What a codice fiscale says, or why it is not one.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodiceFiscaleCheck {
    /// The code as given.
    pub code: String,
    /// Whitespace removed, upper-cased (what is checked).
    pub normalized: String,
    pub valid: bool,
    /// For an invalid code, the stable error code (`cf_wrong_length`,
    /// `cf_invalid_month`, `cf_invalid_check_char`, …); `null` when valid.
    pub error_code: Option<String>,
    /// For an invalid code, the Italian explanation; `null` when valid.
    pub message: Option<String>,
    /// True when digits are replaced by omocodia letters; `null` when invalid.
    pub omocode: Option<bool>,
    /// The code every omocodia variant collapses to (the look-up key of the
    /// citizen registry); `null` when invalid.
    pub base_code: Option<String>,
    /// `male` or `female`; `null` when invalid.
    pub sex: Option<String>,
    /// The birth date, the century chosen so that it is not in the future;
    /// `null` when invalid or when the date does not exist (e.g. 30 February,
    /// which the structural check accepts).
    pub birth_date: Option<NaiveDate>,
    /// Belfiore code of the place of birth (`Z…` for a foreign state).
    pub place_code: Option<String>,
    /// The municipality of `place_code` in the ISTAT list; `null` for an
    /// unknown place: a foreign state, a municipality that no longer exists,
    /// or a list not loaded.
    pub place_name: Option<String>,
    /// Province sigla of that municipality.
    pub place_province: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/codice-fiscale/{code}", operation_id = "validateCodiceFiscale",
    tag = "reference",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "The code to check (spaces and case are normalised)")),
    responses(
        (status = 200, body = CodiceFiscaleCheck, description = "Valid or invalid: see `valid` and `error_code`"),
        (status = 401, body = crate::error::Problem)))]
pub async fn validate_codice_fiscale(
    State(app): State<AppState>,
    _user: AuthUser,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<CodiceFiscaleCheck>, ApiError> {
    let normalized: String = code
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let answer = match CodiceFiscale::parse(&code) {
        Err(e) => CodiceFiscaleCheck {
            code,
            normalized,
            valid: false,
            error_code: Some(e.code().to_string()),
            message: Some(e.to_string()),
            omocode: None,
            base_code: None,
            sex: None,
            birth_date: None,
            place_code: None,
            place_name: None,
            place_province: None,
        },
        Ok(cf) => {
            let place_code = cf.place_code();
            let place = municipality_by_cadastral_code(&app.pool, &place_code).await?;
            CodiceFiscaleCheck {
                code,
                normalized,
                valid: true,
                error_code: None,
                message: None,
                omocode: Some(cf.is_omocode()),
                base_code: Some(cf.base_code()),
                sex: Some(
                    match cf.sex() {
                        Sex::Male => "male",
                        Sex::Female => "female",
                    }
                    .to_string(),
                ),
                birth_date: cf.birth_date(app.clock.now().year()),
                place_code: Some(place_code),
                place_name: place.as_ref().map(|p| p.name.clone()),
                place_province: place.map(|p| p.sigla),
            }
        }
    };
    Ok(Json(answer))
}

/// One output line of `combipat cf check` for one input line (without its
/// line terminator): `code<TAB>valid<TAB>` or `code<TAB>invalid<TAB>error-code`,
/// where `code` is the input as given.
pub fn cf_check_line(raw: &str) -> String {
    let raw = raw.trim_end_matches(['\r', '\n']);
    match CodiceFiscale::parse(raw) {
        Ok(_) => format!("{raw}\tvalid\t"),
        Err(e) => format!("{raw}\tinvalid\t{}", e.code()),
    }
}

/// `combipat cf check`: one output line per input line, in order. A line that
/// is not UTF-8 is not a code either: it is answered (its bytes shown lossily,
/// `cf_invalid_characters`) and the lines after it are still checked.
pub fn cf_check_stream(
    mut input: impl std::io::BufRead,
    mut out: impl std::io::Write,
) -> std::io::Result<()> {
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        writeln!(out, "{}", cf_check_line(&text))?;
    }
    out.flush()
}
