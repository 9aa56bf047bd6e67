//! [`PracticeRegistry`] on `ref_practices` and `ref_pension_mandates`.

use super::model::practice_kind_str;
use async_trait::async_trait;
use commands::ports::{PortResult, PracticeRegistry};
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::{PatronatoId, PracticeRef, PracticeRefKind};
use domain::request::PracticeCheck;
use sqlx::{PgPool, Row};

#[derive(Debug, Clone)]
pub struct PgPracticeRegistry {
    pool: PgPool,
}

impl PgPracticeRegistry {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl PracticeRegistry for PgPracticeRegistry {
    /// `NotAssociated` when the reference is unknown or belongs to another
    /// code (an omocodia sibling is another person); for a pension,
    /// `PatronatoNotEnabled` unless the patronato holds a mandate on it;
    /// otherwise `Associated`.
    async fn check(
        &self,
        cf: &CodiceFiscale,
        practice: &PracticeRef,
        patronato: &PatronatoId,
    ) -> PortResult<PracticeCheck> {
        let row = sqlx::query(
            "SELECT p.codice_fiscale = $3 AS owned,
                    EXISTS (SELECT 1 FROM ref_pension_mandates m
                            WHERE m.pension = p.value AND m.patronato = $4) AS mandate
             FROM ref_practices p
             WHERE p.kind = $1 AND p.value = $2",
        )
        .bind(practice_kind_str(practice.kind))
        .bind(&practice.value)
        .bind(cf.as_str())
        .bind(patronato.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(PracticeCheck::NotAssociated);
        };
        let owned: bool = row.try_get("owned")?;
        let mandate: bool = row.try_get("mandate")?;
        Ok(match (owned, practice.kind, mandate) {
            (false, _, _) => PracticeCheck::NotAssociated,
            (true, PracticeRefKind::Pensione, false) => PracticeCheck::PatronatoNotEnabled,
            (true, _, _) => PracticeCheck::Associated,
        })
    }
}
