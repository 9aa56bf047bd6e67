//! Short-lived signed links for what a browser opens without a bearer header:
//! the printable summary, an attachment, a booking's `.ics`, CSV exports.
//!
//! A link carries the caller's claims and the exact path and query it opens,
//! signed with the service's key and valid for [`LINK_TTL_SECONDS`]; it is
//! accepted for a `GET` of that path alone, and never as a bearer token (its
//! audience differs, and bearer validation refuses any audience).

use crate::auth::{Claims, JwtKeys};
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Long enough for a browser to open the link it was just given.
pub const LINK_TTL_SECONDS: i64 = 60;
pub const LINK_AUDIENCE: &str = "combipat-link";
/// The query parameter that carries the signature.
pub const LINK_PARAM: &str = "link";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkClaims {
    #[serde(flatten)]
    pub caller: Claims,
    pub aud: String,
    /// The path and query (without the link parameter) this link opens.
    pub path: String,
}

/// What a link may open: downloads and printable pages only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTarget(String);

impl LinkTarget {
    /// Accepts an API path (with an optional query) of a downloadable resource.
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let invalid = || {
            ApiError::bad_request(
                "invalid_link_path",
                "Il collegamento può essere creato solo per riepiloghi, allegati, file .ics ed esportazioni CSV del servizio",
            )
        };
        let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
        if raw.len() > 2048 || raw.chars().any(|c| c.is_control() || c == '#') {
            return Err(invalid());
        }
        if query.split('&').any(|pair| pair.starts_with("link=")) {
            return Err(invalid());
        }
        let segments: Vec<&str> = path.split('/').collect();
        let uuid = |s: &str| uuid::Uuid::parse_str(s).is_ok();
        let allowed = match segments.as_slice() {
            ["", "api", "v1", "requests", id, "summary"] => uuid(id),
            ["", "api", "v1", "requests", id, "attachments", a] => uuid(id) && uuid(a),
            ["", "api", "v1", "bookings", id, "ics"] => uuid(id),
            ["", "api", "v1", "statistics", "export"] => true,
            ["", "api", "v1", "audit", "export"] => true,
            _ => false,
        };
        if allowed {
            Ok(Self(raw.to_string()))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A link for `target` that acts as `caller` until `now + LINK_TTL_SECONDS`
/// (never beyond the caller's own session).
pub fn sign(
    keys: &JwtKeys,
    caller: &Claims,
    target: &LinkTarget,
    now: DateTime<Utc>,
) -> (String, DateTime<Utc>) {
    let exp = (now.timestamp() + LINK_TTL_SECONDS).min(caller.exp);
    let claims = LinkClaims {
        caller: Claims {
            // Signed by this service, whoever issued the caller's token.
            name: None,
            iss: crate::auth::ISSUER.into(),
            iat: now.timestamp(),
            exp,
            nbf: None,
            ..caller.clone()
        },
        aud: LINK_AUDIENCE.into(),
        path: target.as_str().to_string(),
    };
    let token = keys.issue_any(&claims);
    let sep = if target.as_str().contains('?') {
        '&'
    } else {
        '?'
    };
    let url = format!("{}{sep}{LINK_PARAM}={token}", target.as_str());
    let expires = DateTime::from_timestamp(exp, 0).unwrap_or(now);
    (url, expires)
}

/// The link token in a request's query, with the path and query it must match.
pub fn find(path: &str, query: Option<&str>) -> Option<(String, String)> {
    let query = query?;
    let mut token = None;
    let mut rest = Vec::new();
    for pair in query.split('&') {
        match pair.strip_prefix("link=") {
            Some(t) if token.is_none() => token = Some(t.to_string()),
            _ => rest.push(pair),
        }
    }
    let token = token?;
    let signed = if rest.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", rest.join("&"))
    };
    Some((token, signed))
}

/// The caller a link acts for, when it is valid for exactly this path and query.
pub fn verify(keys: &JwtKeys, token: &str, requested: &str) -> Result<Claims, ApiError> {
    let claims: LinkClaims = keys.verify_with_audience(token, LINK_AUDIENCE)?;
    if claims.path != requested {
        return Err(ApiError::Unauthenticated {
            code: "link_invalid",
        });
    }
    Ok(claims.caller)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_downloads_can_be_linked() {
        let id = uuid::Uuid::new_v4();
        for ok in [
            format!("/api/v1/requests/{id}/summary"),
            format!("/api/v1/requests/{id}/attachments/{id}"),
            format!("/api/v1/bookings/{id}/ics"),
            "/api/v1/statistics/export?topic=all&from=2026-01-01".to_string(),
            "/api/v1/audit/export".to_string(),
        ] {
            assert!(LinkTarget::parse(&ok).is_ok(), "{ok}");
        }
        for bad in [
            format!("/api/v1/requests/{id}"),
            "/api/v1/requests/x/summary".to_string(),
            "/api/v1/statistics/export?link=abc".to_string(),
            "https://evil.example/api/v1/audit/export".to_string(),
            "/api/v1/audit/export#x".to_string(),
            "/api/v1/audit/export\n".to_string(),
        ] {
            assert!(LinkTarget::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_link_parameter_is_found_and_the_rest_of_the_query_kept_in_order() {
        assert_eq!(
            find("/p", Some("a=1&link=T&b=2")),
            Some(("T".into(), "/p?a=1&b=2".into()))
        );
        assert_eq!(find("/p", Some("link=T")), Some(("T".into(), "/p".into())));
        assert_eq!(find("/p", Some("a=1")), None);
        assert_eq!(find("/p", None), None);
    }
}

#[cfg(test)]
mod signing {
    use super::*;
    use domain::actor::Role;

    fn caller(exp: i64) -> Claims {
        Claims {
            sub: "op.rossi".into(),
            role: Role::Operator,
            patronato: Some("INCA".into()),
            office: Some("INCA-RM01".into()),
            region: None,
            sede: None,
            name: None,
            iss: crate::auth::ISSUER.into(),
            iat: 0,
            exp,
            nbf: None,
        }
    }

    #[test]
    fn a_link_expires_and_never_outlives_its_session() {
        let keys = JwtKeys::from_secret(b"k");
        let target = LinkTarget::parse("/api/v1/audit/export").unwrap();
        let now = Utc::now();
        let session_end = now.timestamp() + 3600;
        let (url, expires) = sign(&keys, &caller(session_end), &target, now);
        assert_eq!(expires.timestamp(), now.timestamp() + LINK_TTL_SECONDS);
        let (token, path) = find("/api/v1/audit/export", url.split_once('?').map(|x| x.1)).unwrap();
        assert_eq!(verify(&keys, &token, &path).unwrap().sub, "op.rossi");

        let long_ago = now - chrono::Duration::minutes(10);
        let (url, _) = sign(&keys, &caller(session_end), &target, long_ago);
        let token = url.split("link=").nth(1).unwrap();
        assert!(matches!(
            verify(&keys, token, "/api/v1/audit/export"),
            Err(ApiError::Unauthenticated {
                code: "link_expired"
            })
        ));

        let (_, expires) = sign(&keys, &caller(now.timestamp() + 5), &target, now);
        assert_eq!(expires.timestamp(), now.timestamp() + 5);
    }
}
