//! One statement (or a few batches) per reference table: the rows of a
//! dataset inserted from arrays with `unnest`.

use super::*;
use crate::model::{audience_str, practice_kind_str, sex_str};

fn strings<T>(items: &[T], f: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|i| f(i).to_string()).collect()
}

fn optional<T>(items: &[T], f: impl Fn(&T) -> Option<&str>) -> Vec<Option<String>> {
    items.iter().map(|i| f(i).map(str::to_string)).collect()
}

fn positions(n: usize) -> Vec<i32> {
    (1..=n)
        .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
        .collect()
}

pub(super) async fn insert_topics(
    tx: &mut Transaction<'_, Postgres>,
    d: &ReferenceData,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ref_topics (code, label, audience, requires_practice_ref, position)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bool[], $5::int[])",
    )
    .bind(strings(&d.topics, |t| t.code.as_str()))
    .bind(strings(&d.topics, |t| &t.label))
    .bind(strings(&d.topics, |t| audience_str(t.audience)))
    .bind(
        d.topics
            .iter()
            .map(|t| t.requires_practice_ref)
            .collect::<Vec<_>>(),
    )
    .bind(positions(d.topics.len()))
    .execute(&mut **tx)
    .await?;

    let labels: HashMap<&str, &str> = d
        .subtopics
        .iter()
        .map(|s| (s.code.as_str(), s.label.as_str()))
        .collect();
    let (mut topic, mut code, mut label, mut position) = (vec![], vec![], vec![], vec![]);
    for t in &d.topics {
        for (i, s) in t.subtopics.iter().enumerate() {
            topic.push(t.code.to_string());
            code.push(s.to_string());
            label.push(
                labels
                    .get(s.as_str())
                    .copied()
                    .unwrap_or_default()
                    .to_string(),
            );
            position.push(i32::try_from(i + 1).unwrap_or(i32::MAX));
        }
    }
    sqlx::query(
        "INSERT INTO ref_subtopics (topic_code, code, label, position)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int[])",
    )
    .bind(topic)
    .bind(code)
    .bind(label)
    .bind(position)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn insert_sedi(
    tx: &mut Transaction<'_, Postgres>,
    d: &ReferenceData,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ref_regions (code, name, kind, istat_code)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])",
    )
    .bind(strings(&d.regions, |r| r.code.as_str()))
    .bind(strings(&d.regions, |r| &r.name))
    .bind(strings(&d.regions, |r| r.kind.as_str()))
    .bind(optional(&d.regions, |r| r.istat.as_deref()))
    .execute(&mut **tx)
    .await?;

    // Parents are set in a second statement: a sede may precede its parent.
    sqlx::query(
        "INSERT INTO ref_sedi (code, name, kind, region_code, province, city, address, active,
                               slot_minutes)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                              $6::text[], $7::text[], $8::bool[], $9::int[])",
    )
    .bind(strings(&d.sedi, |s| s.code.as_str()))
    .bind(strings(&d.sedi, |s| &s.name))
    .bind(strings(&d.sedi, |s| s.kind.as_str()))
    .bind(strings(&d.sedi, |s| s.region.as_str()))
    .bind(optional(&d.sedi, |s| s.province.as_deref()))
    .bind(optional(&d.sedi, |s| s.city.as_deref()))
    // A sede `sedi.json` leaves without an address gets a generated one
    // (deterministic, from its code), so the citizens' app shows a street.
    .bind(
        d.sedi
            .iter()
            .map(|s| {
                s.address.clone().unwrap_or_else(|| {
                    crate::sportelli::sede_address(s.code.as_str(), s.city.as_deref())
                })
            })
            .collect::<Vec<_>>(),
    )
    .bind(d.sedi.iter().map(|s| s.active).collect::<Vec<_>>())
    .bind(
        d.sedi
            .iter()
            .map(|s| i32::from(s.slot_minutes))
            .collect::<Vec<_>>(),
    )
    .execute(&mut **tx)
    .await?;
    let with_parent: Vec<_> = d.sedi.iter().filter(|s| s.parent.is_some()).collect();
    sqlx::query(
        "UPDATE ref_sedi s SET parent_code = p.parent
         FROM UNNEST($1::text[], $2::text[]) AS p (code, parent)
         WHERE s.code = p.code",
    )
    .bind(strings(&with_parent, |s| s.code.as_str()))
    .bind(strings(&with_parent, |s| {
        s.parent.as_ref().map(|p| p.as_str()).unwrap_or_default()
    }))
    .execute(&mut **tx)
    .await?;

    sqlx::query(
        "INSERT INTO ref_provinces (sigla, name, region_code, sede_code)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])",
    )
    .bind(strings(&d.provinces, |p| &p.sigla))
    .bind(strings(&d.provinces, |p| &p.name))
    .bind(strings(&d.provinces, |p| p.region.as_str()))
    .bind(strings(&d.provinces, |p| p.sede.as_str()))
    .execute(&mut **tx)
    .await?;

    sqlx::query(
        "INSERT INTO ref_topic_hubs (topic_code, region_code, province, sede_code)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])",
    )
    .bind(strings(&d.hubs, |h| h.topic.as_str()))
    .bind(optional(&d.hubs, |h| h.region.as_ref().map(|r| r.as_str())))
    .bind(optional(&d.hubs, |h| h.province.as_deref()))
    .bind(strings(&d.hubs, |h| h.sede.as_str()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn insert_counters(
    tx: &mut Transaction<'_, Postgres>,
    d: &ReferenceData,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ref_counters (sede_code, counter_type, name, active)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bool[])",
    )
    .bind(strings(&d.counters, |c| c.sede.as_str()))
    .bind(strings(&d.counters, |c| &c.counter_type))
    .bind(strings(&d.counters, |c| &c.name))
    .bind(d.counters.iter().map(|c| c.active).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    let (mut sede, mut kind, mut weekday, mut opens, mut closes) =
        (vec![], vec![], vec![], vec![], vec![]);
    for c in &d.counters {
        for h in &c.hours {
            sede.push(c.sede.to_string());
            kind.push(c.counter_type.clone());
            weekday.push(i16::from(h.weekday));
            opens.push(h.opens);
            closes.push(h.closes);
        }
    }
    sqlx::query(
        "INSERT INTO ref_counter_hours (sede_code, counter_type, weekday, opens, closes)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::int2[], $4::time[], $5::time[])",
    )
    .bind(sede)
    .bind(kind)
    .bind(weekday)
    .bind(opens)
    .bind(closes)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn insert_municipalities(
    tx: &mut Transaction<'_, Postgres>,
    d: &ReferenceData,
) -> Result<(), sqlx::Error> {
    let Some(list) = &d.municipalities else {
        return Ok(());
    };
    // CAP lists travel comma-joined: UNNEST flattens a two-dimensional array.
    sqlx::query(
        "INSERT INTO ref_municipalities
             (istat_code, name, region, province_name, sigla, cadastral_code, caps, population)
         SELECT i, n, r, p, s, c, string_to_array(caps, ','), pop
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::int[]) AS t (i, n, r, p, s, c, caps, pop)",
    )
    .bind(strings(list, |m| &m.istat_code))
    .bind(strings(list, |m| &m.name))
    .bind(strings(list, |m| &m.region))
    .bind(strings(list, |m| &m.province_name))
    .bind(strings(list, |m| &m.sigla))
    .bind(strings(list, |m| &m.cadastral_code))
    .bind(list.iter().map(|m| m.caps.join(",")).collect::<Vec<_>>())
    .bind(
        list.iter()
            .map(|m| i32::try_from(m.population).unwrap_or(i32::MAX))
            .collect::<Vec<_>>(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn insert_cap_routes(
    tx: &mut Transaction<'_, Postgres>,
    d: &ReferenceData,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ref_cap_routes (cap_prefix, sede_code)
         SELECT * FROM UNNEST($1::text[], $2::text[])",
    )
    .bind(strings(&d.cap_routes, |r| &r.prefix))
    .bind(strings(&d.cap_routes, |r| r.sede.as_str()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Rows per statement: bounds the size of one statement's arrays.
const CITIZEN_BATCH: usize = 10_000;

pub(super) async fn insert_citizens(
    tx: &mut Transaction<'_, Postgres>,
    d: &ReferenceData,
) -> Result<(), sqlx::Error> {
    for chunk in d.citizens.chunks(CITIZEN_BATCH) {
        sqlx::query(
            "INSERT INTO ref_citizens
                 (codice_fiscale, base_code, surname, name, birth_date, birth_place, sex, cap,
                  birth_province, residence_address, residence_municipality, residence_province)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::date[],
                                  $6::text[], $7::text[], $8::text[],
                                  $9::text[], $10::text[], $11::text[], $12::text[])",
        )
        .bind(strings(chunk, |c| c.codice_fiscale.as_str()))
        .bind(
            chunk
                .iter()
                .map(|c| c.codice_fiscale.base_code())
                .collect::<Vec<_>>(),
        )
        .bind(strings(chunk, |c| &c.surname))
        .bind(strings(chunk, |c| &c.name))
        .bind(chunk.iter().map(|c| c.birth_date).collect::<Vec<_>>())
        .bind(optional(chunk, |c| c.birth_place.as_deref()))
        .bind(strings(chunk, |c| sex_str(c.sex)))
        .bind(strings(chunk, |c| c.cap.as_str()))
        .bind(optional(chunk, |c| c.birth_province.as_deref()))
        .bind(optional(chunk, |c| c.address.as_deref()))
        .bind(optional(chunk, |c| c.municipality.as_deref()))
        .bind(optional(chunk, |c| c.province.as_deref()))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub(super) async fn insert_practices(
    tx: &mut Transaction<'_, Postgres>,
    d: &ReferenceData,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ref_practices (kind, value, codice_fiscale)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[])",
    )
    .bind(strings(&d.practices, |p| practice_kind_str(p.kind)))
    .bind(strings(&d.practices, |p| &p.value))
    .bind(strings(&d.practices, |p| p.codice_fiscale.as_str()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn insert_mandates(
    tx: &mut Transaction<'_, Postgres>,
    d: &ReferenceData,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ref_pension_mandates (pension, patronato)
         SELECT * FROM UNNEST($1::text[], $2::text[])",
    )
    .bind(strings(&d.mandates, |m| &m.pension))
    .bind(strings(&d.mandates, |m| m.patronato.as_str()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
