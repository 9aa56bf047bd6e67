//! Bearer JWT (HS256). Claims carry the role and the scope; they are checked
//! once here and become a domain `Actor` that the rest of the code trusts.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use domain::actor::{Actor, PatronatoRole, PatronatoUser, Role, SedeOfficer};
use domain::ids::{OfficeId, PatronatoId, RegionCode, SedeCode, UserId};
use jsonwebtoken::{
    decode, encode, errors::ErrorKind, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "combipat";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patronato: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sede: Option<String>,
    /// The person's name, for the screens (not used for any decision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    /// Not before (optional): refused until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
}

/// The longest a token may live: a stolen token of year 9999 must not be a
/// key for ever. Counted from `iat` and from now, so neither can stretch it.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 24 * 3600;

/// Why claims do not describe a usable actor.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClaimsError {
    #[error("il ruolo {0} richiede il campo {1}")]
    Missing(&'static str, &'static str),
    #[error("valore non valido per {0}")]
    Invalid(&'static str),
}

impl Claims {
    /// The actor these claims describe, with every scope field its role needs.
    pub fn actor(&self) -> Result<Actor, ClaimsError> {
        let id = UserId::parse(&self.sub).map_err(|_| ClaimsError::Invalid("sub"))?;
        let need = |v: &Option<String>, field: &'static str| {
            v.clone()
                .ok_or(ClaimsError::Missing(self.role.as_str(), field))
        };
        let patronato_user = |role: PatronatoRole| -> Result<Actor, ClaimsError> {
            let patronato = PatronatoId::parse(&need(&self.patronato, "patronato")?)
                .map_err(|_| ClaimsError::Invalid("patronato"))?;
            let office = OfficeId::parse(&need(&self.office, "office")?)
                .map_err(|_| ClaimsError::Invalid("office"))?;
            let region = match (&self.region, role) {
                (None, PatronatoRole::RegionalReferent) => {
                    return Err(ClaimsError::Missing("regional_referent", "region"))
                }
                (None, _) => None,
                (Some(r), _) => {
                    Some(RegionCode::parse(r).map_err(|_| ClaimsError::Invalid("region"))?)
                }
            };
            Ok(Actor::Patronato(PatronatoUser {
                id: id.clone(),
                role,
                patronato,
                office,
                region,
            }))
        };
        match self.role {
            Role::Operator => patronato_user(PatronatoRole::Operator),
            Role::PatronatoAdmin => patronato_user(PatronatoRole::Admin),
            Role::RegionalReferent => patronato_user(PatronatoRole::RegionalReferent),
            Role::SedeOfficer => Ok(Actor::Sede(SedeOfficer {
                id,
                sede: SedeCode::parse(&need(&self.sede, "sede")?)
                    .map_err(|_| ClaimsError::Invalid("sede"))?,
            })),
            Role::Auditor => Ok(Actor::Auditor { id }),
            Role::Analyst => Ok(Actor::Analyst { id }),
            Role::Citizen => Ok(Actor::Citizen { id }),
            Role::SystemAdmin => Ok(Actor::SystemAdmin { id }),
        }
    }
}

/// Signing and verification keys from the configured secret.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Derived from the secret for the audit cursors' MAC (api/src/cursor.rs),
    /// so that every process of a deployment accepts the others' cursors.
    cursor_key: [u8; 32],
    /// Pseudonyms of data subjects when no key of their own is configured
    /// (development and tests; docs/privacy.md).
    pseudonyms: commands::privacy::Pseudonyms,
    master_key: [u8; 32],
}

impl JwtKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        use sha2::Digest;
        let cursor_key = sha2::Sha256::new()
            .chain_update(b"combipat cursor key\0")
            .chain_update(secret)
            .finalize()
            .into();
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            cursor_key,
            pseudonyms: commands::privacy::Pseudonyms::derived_from(secret, "jwt"),
            master_key: sha2::Sha256::new()
                .chain_update(b"combipat master key\0")
                .chain_update(secret)
                .finalize()
                .into(),
        }
    }

    /// The master key of crypto-shredding when none is configured
    /// (development and tests; docs/privacy.md): derived from the secret.
    pub fn derived_master_key(&self) -> commands::privacy::crypto::LocalMasterKey {
        commands::privacy::crypto::LocalMasterKey::fingerprinted(&self.master_key)
    }

    pub fn derived_pseudonyms(&self) -> commands::privacy::Pseudonyms {
        self.pseudonyms.clone()
    }

    pub fn cursor_key(&self) -> &[u8; 32] {
        &self.cursor_key
    }

    pub fn issue(&self, claims: &Claims) -> String {
        self.issue_any(claims)
    }

    /// Signs any claims with the service's key (sessions, links).
    pub fn issue_any<T: Serialize>(&self, claims: &T) -> String {
        encode(&Header::default(), claims, &self.encoding).expect("HS256 signing cannot fail")
    }

    /// Verifies a token meant for `audience` (a link, never a bearer token).
    pub fn verify_with_audience<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        audience: &str,
    ) -> Result<T, ApiError> {
        let mut validation = Validation::default();
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[audience]);
        decode::<T>(token, &self.decoding, &validation)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => ApiError::Unauthenticated {
                    code: "link_expired",
                },
                _ => ApiError::Unauthenticated {
                    code: "link_invalid",
                },
            })
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let mut validation = Validation::default();
        validation.set_issuer(&[ISSUER]);
        validation.validate_nbf = true;
        let claims = decode::<Claims>(token, &self.decoding, &validation)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => ApiError::Unauthenticated {
                    code: "token_expired",
                },
                ErrorKind::ImmatureSignature => ApiError::Unauthenticated {
                    code: "token_not_yet_valid",
                },
                _ => ApiError::Unauthenticated {
                    code: "token_invalid",
                },
            })?;
        let now = chrono::Utc::now().timestamp();
        if claims.exp.saturating_sub(claims.iat) > MAX_TOKEN_LIFETIME_SECS
            || claims.exp.saturating_sub(now) > MAX_TOKEN_LIFETIME_SECS
        {
            return Err(ApiError::Unauthenticated {
                code: "token_lifetime_too_long",
            });
        }
        Ok(claims)
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Actor);

/// The authenticated caller with the claims it came with (for what needs to
/// sign on its behalf: sessions, links).
#[derive(Debug, Clone)]
pub struct AuthSession {
    pub claims: Claims,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for AuthSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let claims = match parts.headers.get(axum::http::header::AUTHORIZATION) {
            Some(header) => {
                let header = header.to_str().map_err(|_| ApiError::Unauthenticated {
                    code: "token_missing",
                })?;
                // RFC 9110 §11.1: the scheme is case-insensitive.
                let token = header
                    .split_once(' ')
                    .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                    .map(|(_, token)| token)
                    .ok_or(ApiError::Unauthenticated {
                        code: "token_missing",
                    })?;
                let token = token.trim();
                match &state.oidc {
                    Some(oidc) if crate::oidc::OidcVerifier::is_provider_token(token) => {
                        oidc.verify(token).await?
                    }
                    _ => state.jwt.verify(token)?,
                }
            }
            // A signed link opens one download without a header (crate::links).
            None => match crate::links::find(parts.uri.path(), parts.uri.query()) {
                Some((token, requested)) if parts.method == axum::http::Method::GET => {
                    crate::links::verify(&state.jwt, &token, &requested)?
                }
                _ => {
                    return Err(ApiError::Unauthenticated {
                        code: "token_missing",
                    })
                }
            },
        };
        let actor = claims.actor().map_err(|_| ApiError::Unauthenticated {
            code: "token_claims_invalid",
        })?;
        Ok(AuthSession { claims, actor })
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let session = AuthSession::from_request_parts(parts, state).await?;
        Ok(AuthUser(session.actor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(role: Role) -> Claims {
        Claims {
            sub: "u1".into(),
            role,
            patronato: None,
            office: None,
            region: None,
            sede: None,
            name: None,
            iss: ISSUER.into(),
            iat: chrono::Utc::now().timestamp(),
            exp: chrono::Utc::now().timestamp() + 3600,
            nbf: None,
        }
    }

    #[test]
    fn each_role_needs_its_scope() {
        assert_eq!(
            claims(Role::Operator).actor(),
            Err(ClaimsError::Missing("operator", "patronato"))
        );
        assert_eq!(
            claims(Role::SedeOfficer).actor(),
            Err(ClaimsError::Missing("sede_officer", "sede"))
        );
        let mut referent = claims(Role::RegionalReferent);
        referent.patronato = Some("INCA".into());
        referent.office = Some("INCA-RM01".into());
        assert_eq!(
            referent.actor(),
            Err(ClaimsError::Missing("regional_referent", "region"))
        );
        referent.region = Some("LAZ".into());
        assert!(matches!(referent.actor(), Ok(Actor::Patronato(_))));
        assert!(matches!(
            claims(Role::Auditor).actor(),
            Ok(Actor::Auditor { .. })
        ));
    }

    #[test]
    fn tokens_round_trip_and_a_wrong_key_is_refused() {
        let keys = JwtKeys::from_secret(b"k1");
        let mut c = claims(Role::SedeOfficer);
        c.sede = Some("7001".into());
        let token = keys.issue(&c);
        assert_eq!(keys.verify(&token).unwrap(), c);
        assert!(JwtKeys::from_secret(b"k2").verify(&token).is_err());
    }
}
