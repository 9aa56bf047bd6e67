//! [`TopicCatalogue`] on `ref_topics` and `ref_subtopics`.

use super::error::decode_err;
use super::model::parse_audience;
use async_trait::async_trait;
use commands::ports::{PortResult, TopicCatalogue};
use domain::ids::{IdError, TopicCode};
use domain::topic::{Subtopic, Topic};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};

#[derive(Debug, Clone)]
pub struct PgTopicCatalogue {
    pool: PgPool,
}

impl PgTopicCatalogue {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Topics matching `filter` (all when `None`), ordered by position, with
    /// their sub-topics ordered by position.
    async fn load(&self, filter: Option<&TopicCode>) -> PortResult<Vec<Topic>> {
        let rows = sqlx::query(
            "SELECT t.code, t.label, t.audience, t.requires_practice_ref,
                    s.code AS sub_code, s.label AS sub_label
             FROM ref_topics t
             LEFT JOIN ref_subtopics s ON s.topic_code = t.code
             WHERE $1::text IS NULL OR t.code = $1
             ORDER BY t.position, t.code, s.position, s.code",
        )
        .bind(filter.map(|c| c.as_str()))
        .fetch_all(&self.pool)
        .await?;
        let mut topics: Vec<Topic> = Vec::new();
        for row in &rows {
            let code = code(row, "code")?;
            if topics.last().map(|t| &t.code) != Some(&code) {
                topics.push(topic(row, code)?);
            }
            let sub: Option<String> = row.try_get("sub_code")?;
            if let (Some(sub), Some(t)) = (sub, topics.last_mut()) {
                t.subtopics.push(Subtopic {
                    code: TopicCode::parse(&sub).map_err(decode_err)?,
                    label: row.try_get("sub_label")?,
                });
            }
        }
        Ok(topics)
    }
}

fn code(row: &PgRow, column: &str) -> Result<TopicCode, sqlx::Error> {
    TopicCode::parse(row.try_get(column)?).map_err(decode_err)
}

fn topic(row: &PgRow, code: TopicCode) -> Result<Topic, sqlx::Error> {
    let audience: String = row.try_get("audience")?;
    Ok(Topic {
        code,
        label: row.try_get("label")?,
        audience: parse_audience(&audience).ok_or_else(|| decode_err(IdError::Code(audience)))?,
        requires_practice_ref: row.try_get("requires_practice_ref")?,
        subtopics: Vec::new(),
    })
}

#[async_trait]
impl TopicCatalogue for PgTopicCatalogue {
    async fn topic(&self, code: &TopicCode) -> PortResult<Option<Topic>> {
        Ok(self.load(Some(code)).await?.into_iter().next())
    }

    async fn all(&self) -> PortResult<Vec<Topic>> {
        self.load(None).await
    }
}
