//! The identity provider's OpenID Connect tokens (RS256 or ES256), besides the
//! service's own HS256 tokens.
//!
//! Keys come from the provider's JWKS (its discovery document names it, or
//! `COMBIPAT_OIDC_JWKS_URL`), are kept in memory and fetched again when a token
//! names a key not seen yet — so the provider rotates keys without a restart —
//! at most once per [`REFRESH_PAUSE`], so that made-up key ids cannot turn
//! every request into a fetch. Issuer and audience are checked; the provider's
//! claims are mapped to role and scope by configuration.

use crate::auth::{Claims, MAX_TOKEN_LIFETIME_SECS};
use crate::error::ApiError;
use domain::actor::Role;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{decode, decode_header, errors::ErrorKind, Algorithm, DecodingKey, Validation};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, RwLock};

/// The shortest time between two fetches of the key set, by default.
pub const REFRESH_PAUSE: Duration = Duration::from_secs(30);

/// How the provider and its claims are configured (`combipat serve --help`).
#[derive(Debug, Clone, clap::Args)]
pub struct OidcArgs {
    /// The provider's issuer (`iss`); OpenID Connect is off without it.
    #[arg(long, env = "COMBIPAT_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// The audience (`aud`) tokens must carry: this service's client id.
    #[arg(long, env = "COMBIPAT_OIDC_AUDIENCE", default_value = "combipat")]
    pub oidc_audience: String,
    /// The key set's URL; default: `jwks_uri` of the issuer's discovery document.
    #[arg(long, env = "COMBIPAT_OIDC_JWKS_URL")]
    pub oidc_jwks_url: Option<String>,
    /// The provider's claims that carry role, patronato, office, region, sede
    /// and name, as `role=<claim>,patronato=<claim>,…` (unnamed ones keep
    /// these names).
    #[arg(long, env = "COMBIPAT_OIDC_CLAIMS", default_value = "")]
    pub oidc_claims: String,
    /// The provider's role values and ours, as `OPERATORE=operator,…`; values
    /// not listed must be one of ours.
    #[arg(long, env = "COMBIPAT_OIDC_ROLES", default_value = "")]
    pub oidc_roles: String,
    /// The client id the web app signs in with (authorization code + PKCE,
    /// a public client); default: the audience.
    #[arg(long, env = "COMBIPAT_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// The scopes the web app asks for.
    #[arg(long, env = "COMBIPAT_OIDC_SCOPES", default_value = "openid profile")]
    pub oidc_scopes: String,
    /// Seconds a token is still accepted past its `exp` (or before its
    /// `nbf`): the clocks of the provider and of this service may differ.
    #[arg(long, env = "COMBIPAT_OIDC_LEEWAY_SECS", default_value_t = DEFAULT_LEEWAY_SECS)]
    pub oidc_leeway_secs: u64,
}

/// jsonwebtoken's own default clock-skew allowance.
pub const DEFAULT_LEEWAY_SECS: u64 = 60;

/// What the web app needs to send a user to the provider and back
/// (`GET /api/v1/config`); the provider's origin is also the one origin
/// besides ours that the app's pages may connect to (crate::web).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct BrowserSignIn {
    /// The provider's issuer; its discovery document is
    /// `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// Space-separated, `openid` first.
    pub scopes: String,
    /// `scheme://host[:port]` of the issuer.
    #[serde(skip)]
    pub origin: String,
}

/// Which claim of the provider carries each of ours.
#[derive(Debug, Clone)]
pub struct ClaimNames {
    pub role: String,
    pub patronato: String,
    pub office: String,
    pub region: String,
    pub sede: String,
    pub name: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            role: "role".into(),
            patronato: "patronato".into(),
            office: "office".into(),
            region: "region".into(),
            sede: "sede".into(),
            name: "name".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub audience: String,
    pub jwks_url: Option<String>,
    pub claims: ClaimNames,
    pub roles: HashMap<String, Role>,
    /// The shortest time between two fetches of the key set.
    pub refresh_pause: Duration,
    /// See [`OidcArgs::oidc_leeway_secs`].
    pub leeway_secs: u64,
}

impl OidcArgs {
    /// The configuration, or `None` when no issuer is set.
    pub fn config(&self) -> Result<Option<OidcConfig>, String> {
        let Some(issuer) = self.oidc_issuer.clone().filter(|i| !i.is_empty()) else {
            return Ok(None);
        };
        let mut claims = ClaimNames::default();
        for (ours, theirs) in pairs(&self.oidc_claims)? {
            let slot = match ours.as_str() {
                "role" => &mut claims.role,
                "patronato" => &mut claims.patronato,
                "office" => &mut claims.office,
                "region" => &mut claims.region,
                "sede" => &mut claims.sede,
                "name" => &mut claims.name,
                other => return Err(format!("COMBIPAT_OIDC_CLAIMS: unknown claim {other}")),
            };
            *slot = theirs;
        }
        let mut roles = HashMap::new();
        for (theirs, ours) in pairs(&self.oidc_roles)? {
            let role = parse_role(&ours)
                .ok_or_else(|| format!("COMBIPAT_OIDC_ROLES: unknown role {ours}"))?;
            roles.insert(theirs, role);
        }
        Ok(Some(OidcConfig {
            issuer,
            audience: self.oidc_audience.clone(),
            jwks_url: self.oidc_jwks_url.clone().filter(|u| !u.is_empty()),
            claims,
            roles,
            refresh_pause: REFRESH_PAUSE,
            leeway_secs: self.oidc_leeway_secs,
        }))
    }
}

impl OidcArgs {
    /// The web app's sign-in, or `None` when no issuer is set.
    pub fn browser(&self) -> Result<Option<BrowserSignIn>, String> {
        let Some(issuer) = self.oidc_issuer.clone().filter(|i| !i.is_empty()) else {
            return Ok(None);
        };
        let url = reqwest::Url::parse(&issuer)
            .map_err(|e| format!("COMBIPAT_OIDC_ISSUER is not a URL: {e}"))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
            return Err("COMBIPAT_OIDC_ISSUER must be an http(s) URL".into());
        }
        let scopes = self.oidc_scopes.split_whitespace().collect::<Vec<_>>();
        if scopes.first() != Some(&"openid") {
            return Err("COMBIPAT_OIDC_SCOPES must start with openid".into());
        }
        Ok(Some(BrowserSignIn {
            origin: url.origin().ascii_serialization(),
            issuer,
            client_id: self
                .oidc_client_id
                .clone()
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| self.oidc_audience.clone()),
            scopes: scopes.join(" "),
        }))
    }
}

fn pairs(raw: &str) -> Result<Vec<(String, String)>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=')
                .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
                .ok_or_else(|| format!("expected name=value, got {p}"))
        })
        .collect()
}

fn parse_role(raw: &str) -> Option<Role> {
    serde_json::from_value(Value::String(raw.to_string())).ok()
}

struct KeySet {
    keys: HashMap<String, (DecodingKey, Algorithm)>,
    fetched_at: Option<Instant>,
}

/// Verifies the provider's tokens; shared by every request.
pub struct OidcVerifier {
    config: OidcConfig,
    http: reqwest::Client,
    keys: RwLock<KeySet>,
    fetching: Mutex<()>,
}

fn invalid() -> ApiError {
    ApiError::Unauthenticated {
        code: "token_invalid",
    }
}

impl OidcVerifier {
    pub fn new(config: OidcConfig) -> Self {
        Self {
            config,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("an HTTP client"),
            keys: RwLock::new(KeySet {
                keys: HashMap::new(),
                fetched_at: None,
            }),
            fetching: Mutex::new(()),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// Whether `token` is signed with an algorithm of the provider's (not
    /// the service's own HS256).
    pub fn is_provider_token(token: &str) -> bool {
        decode_header(token).is_ok_and(|h| matches!(h.alg, Algorithm::RS256 | Algorithm::ES256))
    }

    /// The claims of a valid provider token, mapped to ours.
    pub async fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let header = decode_header(token).map_err(|_| invalid())?;
        let kid = header.kid.ok_or_else(invalid)?;
        let (key, alg) = self.key(&kid).await?.ok_or_else(invalid)?;
        if alg != header.alg {
            return Err(invalid());
        }
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.leeway = self.config.leeway_secs;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = decode::<Value>(token, &key, &validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => ApiError::Unauthenticated {
                code: "token_expired",
            },
            ErrorKind::ImmatureSignature => ApiError::Unauthenticated {
                code: "token_not_yet_valid",
            },
            _ => invalid(),
        })?;
        let claims = self.map_claims(&data.claims)?;
        // The provider's tokens live no longer than the service's own.
        if claims.exp.saturating_sub(chrono::Utc::now().timestamp()) > MAX_TOKEN_LIFETIME_SECS {
            return Err(ApiError::Unauthenticated {
                code: "token_lifetime_too_long",
            });
        }
        Ok(claims)
    }

    fn map_claims(&self, raw: &Value) -> Result<Claims, ApiError> {
        let names = &self.config.claims;
        let text = |name: &str| raw.get(name).and_then(Value::as_str).map(str::to_string);
        let claims_invalid = || ApiError::Unauthenticated {
            code: "token_claims_invalid",
        };
        let role_value = text(&names.role).ok_or_else(claims_invalid)?;
        let role = self
            .config
            .roles
            .get(&role_value)
            .copied()
            .or_else(|| parse_role(&role_value))
            .ok_or_else(claims_invalid)?;
        let claims = Claims {
            sub: text("sub").ok_or_else(claims_invalid)?,
            role,
            patronato: text(&names.patronato),
            office: text(&names.office),
            region: text(&names.region),
            sede: text(&names.sede),
            name: text(&names.name),
            iss: self.config.issuer.clone(),
            iat: raw.get("iat").and_then(Value::as_i64).unwrap_or(0),
            exp: raw.get("exp").and_then(Value::as_i64).unwrap_or(0),
            nbf: raw.get("nbf").and_then(Value::as_i64),
        };
        claims.actor().map_err(|_| claims_invalid())?;
        Ok(claims)
    }

    /// The key with this id, fetching the key set again when it is unknown
    /// (at most once per [`REFRESH_PAUSE`]).
    async fn key(&self, kid: &str) -> Result<Option<(DecodingKey, Algorithm)>, ApiError> {
        if let Some(found) = self.keys.read().await.keys.get(kid) {
            return Ok(Some(found.clone()));
        }
        let _one_fetch = self.fetching.lock().await;
        {
            let set = self.keys.read().await;
            if let Some(found) = set.keys.get(kid) {
                return Ok(Some(found.clone()));
            }
            if set
                .fetched_at
                .is_some_and(|at| at.elapsed() < self.config.refresh_pause)
            {
                return Ok(None);
            }
        }
        let fetched = self.fetch().await;
        let mut set = self.keys.write().await;
        set.fetched_at = Some(Instant::now());
        match fetched {
            Ok(keys) => set.keys = keys,
            // Keep the keys we had: the provider may be briefly out of reach.
            Err(e) => tracing::warn!(error = %e, "OpenID Connect key set not fetched"),
        }
        Ok(set.keys.get(kid).cloned())
    }

    async fn fetch(&self) -> Result<HashMap<String, (DecodingKey, Algorithm)>, String> {
        let url = match &self.config.jwks_url {
            Some(url) => url.clone(),
            None => {
                let discovery = format!(
                    "{}/.well-known/openid-configuration",
                    self.config.issuer.trim_end_matches('/')
                );
                let doc: Value = self.get_json(&discovery).await?;
                doc["jwks_uri"]
                    .as_str()
                    .ok_or("the discovery document has no jwks_uri")?
                    .to_string()
            }
        };
        let set: JwkSet =
            serde_json::from_value(self.get_json(&url).await?).map_err(|e| e.to_string())?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            let alg = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                    Algorithm::ES256
                }
                _ => continue,
            };
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                keys.insert(kid, (key, alg));
            }
        }
        Ok(keys)
    }

    async fn get_json(&self, url: &str) -> Result<Value, String> {
        self.http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("{url}: {e}"))?
            .json()
            .await
            .map_err(|e| format!("{url}: {e}"))
    }
}
