//! The checks across the reference files' entries: codes unique and
//! well-formed, every reference resolving, hubs and routes naming active
//! sedi. Each refusal names the file, the list and the entry.

use super::*;

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// Answers the codes a hub may name: every topic and sub-topic code.
pub(super) fn validate_topics(
    subtopics: &[SubtopicEntry],
    topics: &[TopicEntry],
) -> Result<HashSet<String>, ReferenceError> {
    let bad = |list, i, r: String| Err(ReferenceError::entry(TOPICS_FILE, list, i, r));
    let mut sub_codes = HashSet::new();
    for (i, s) in subtopics.iter().enumerate() {
        if !sub_codes.insert(s.code.as_str()) {
            return bad("subtopics", i, format!("duplicate sub-topic {}", s.code));
        }
        if blank(&s.label) {
            return bad("subtopics", i, "empty label".into());
        }
    }
    let mut codes: HashSet<String> = sub_codes.iter().map(|c| c.to_string()).collect();
    for (i, t) in topics.iter().enumerate() {
        if !codes.insert(t.code.to_string()) {
            return bad(
                "topics",
                i,
                format!("code {} is already a topic or sub-topic", t.code),
            );
        }
        if blank(&t.label) {
            return bad("topics", i, "empty label".into());
        }
        let mut seen = HashSet::new();
        for s in &t.subtopics {
            if !sub_codes.contains(s.as_str()) {
                return bad("topics", i, format!("unknown sub-topic {s}"));
            }
            if !seen.insert(s.as_str()) {
                return bad("topics", i, format!("sub-topic {s} listed twice"));
            }
        }
    }
    Ok(codes)
}

fn is_sigla(p: &str) -> bool {
    p.len() == 2 && p.bytes().all(|b| b.is_ascii_uppercase())
}

pub(super) fn validate_sedi(
    regions: &[Region],
    provinces: &[Province],
    sedi: &[Sede],
    hubs: &[TopicHub],
    topic_codes: &HashSet<String>,
) -> Result<(), ReferenceError> {
    let bad = |list, i, r: String| Err(ReferenceError::entry(SEDI_FILE, list, i, r));
    let mut region_codes = HashSet::new();
    let mut istat_codes = HashSet::new();
    for (i, r) in regions.iter().enumerate() {
        if !region_codes.insert(r.code.as_str()) {
            return bad("regions", i, format!("duplicate region {}", r.code));
        }
        if blank(&r.name) {
            return bad("regions", i, "empty name".into());
        }
        if let Some(istat) = &r.istat {
            if istat.len() != 2 || !istat.bytes().all(|b| b.is_ascii_digit()) {
                return bad(
                    "regions",
                    i,
                    format!("ISTAT code {istat:?} is not two digits"),
                );
            }
            if !istat_codes.insert(istat.as_str()) {
                return bad("regions", i, format!("duplicate ISTAT code {istat}"));
            }
        }
    }
    let mut by_code: HashMap<&str, &Sede> = HashMap::new();
    for (i, s) in sedi.iter().enumerate() {
        if by_code.insert(s.code.as_str(), s).is_some() {
            return bad("sedi", i, format!("duplicate sede {}", s.code));
        }
    }
    let mut crics = HashSet::new();
    let mut district_prefixes = HashSet::new();
    for (i, s) in sedi.iter().enumerate() {
        if blank(&s.name) {
            return bad("sedi", i, "empty name".into());
        }
        if !region_codes.contains(s.region.as_str()) {
            return bad("sedi", i, format!("unknown region {}", s.region));
        }
        if let Some(p) = &s.province {
            if !is_sigla(p) {
                return bad("sedi", i, format!("province {p:?} is not a 2-letter sigla"));
            }
        }
        if !SLOT_MINUTES.contains(&s.slot_minutes) {
            return bad(
                "sedi",
                i,
                format!("slot_minutes {} is not between 8 and 20", s.slot_minutes),
            );
        }
        if s.kind == SedeKind::Cric && s.active && !crics.insert(s.region.as_str()) {
            return bad(
                "sedi",
                i,
                format!("region {} has two active CRIC", s.region),
            );
        }
        if !s.caps.is_empty() && (!s.kind.is_territorial() || s.province.is_none()) {
            return bad(
                "sedi",
                i,
                "only an agenzia or a provincial structure with a province serves CAPs".into(),
            );
        }
        for p in &s.caps {
            if !(1..=5).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()) {
                return bad("sedi", i, format!("CAP prefix {p:?} is not 1 to 5 digits"));
            }
            if !district_prefixes.insert(p.as_str()) {
                return bad(
                    "sedi",
                    i,
                    format!("CAP prefix {p} is served by another sede"),
                );
            }
        }
        // The parent chain must end, at known sedi.
        let mut current = s;
        for _ in 0..=sedi.len() {
            let Some(parent) = &current.parent else { break };
            match by_code.get(parent.as_str()) {
                None => return bad("sedi", i, format!("unknown parent sede {parent}")),
                Some(p) if p.code == s.code => {
                    return bad("sedi", i, "the parent chain is a cycle".into())
                }
                Some(p) => current = p,
            }
        }
    }
    let mut province_region: HashMap<&str, &str> = HashMap::new();
    for (i, p) in provinces.iter().enumerate() {
        if !is_sigla(&p.sigla) {
            return bad(
                "provinces",
                i,
                format!("{:?} is not a 2-letter sigla", p.sigla),
            );
        }
        if blank(&p.name) {
            return bad("provinces", i, "empty name".into());
        }
        if !region_codes.contains(p.region.as_str()) {
            return bad("provinces", i, format!("unknown region {}", p.region));
        }
        match by_code.get(p.sede.as_str()) {
            None => return bad("provinces", i, format!("unknown sede {}", p.sede)),
            Some(s) if !s.active || matches!(s.kind, SedeKind::Polo | SedeKind::Cric) => {
                return bad(
                    "provinces",
                    i,
                    format!("sede {} is inactive, a polo or a CRIC", p.sede),
                )
            }
            Some(s) if s.region != p.region => {
                return bad(
                    "provinces",
                    i,
                    format!(
                        "sede {} is in region {}, not {}",
                        p.sede, s.region, p.region
                    ),
                )
            }
            Some(_) => {}
        }
        if province_region
            .insert(p.sigla.as_str(), p.region.as_str())
            .is_some()
        {
            return bad("provinces", i, format!("duplicate province {}", p.sigla));
        }
    }
    let mut keys = HashSet::new();
    for (i, h) in hubs.iter().enumerate() {
        if !topic_codes.contains(h.topic.as_str()) {
            return bad("hubs", i, format!("unknown topic or sub-topic {}", h.topic));
        }
        if let Some(r) = &h.region {
            if !region_codes.contains(r.as_str()) {
                return bad("hubs", i, format!("unknown region {r}"));
            }
        }
        if let Some(p) = &h.province {
            match (province_region.get(p.as_str()), &h.region) {
                (None, _) => return bad("hubs", i, format!("unknown province {p}")),
                (Some(r), Some(hr)) if *r == hr.as_str() => {}
                _ => {
                    return bad(
                        "hubs",
                        i,
                        format!("a hub for province {p} must name the province's region"),
                    )
                }
            }
        }
        match by_code.get(h.sede.as_str()) {
            Some(s) if s.active && s.kind == SedeKind::Polo => {}
            Some(_) => return bad("hubs", i, format!("sede {} is not an active polo", h.sede)),
            None => return bad("hubs", i, format!("unknown sede {}", h.sede)),
        }
        if !keys.insert((
            h.topic.as_str(),
            h.region.as_ref().map(|r| r.as_str()),
            h.province.as_deref(),
        )) {
            return bad("hubs", i, "duplicate topic, region and province".into());
        }
    }
    Ok(())
}

pub(super) fn validate_routes(
    routes: &[CapRoute],
    active: &HashSet<&str>,
) -> Result<(), ReferenceError> {
    let bad = |i, r: String| Err(ReferenceError::entry(CAP_ROUTES_FILE, "routes", i, r));
    let mut prefixes = HashSet::new();
    for (i, r) in routes.iter().enumerate() {
        let p = &r.prefix;
        if !(1..=5).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()) {
            return bad(i, format!("prefix {p:?} is not 1 to 5 digits"));
        }
        if !prefixes.insert(p.as_str()) {
            return bad(i, format!("duplicate prefix {p}"));
        }
        if !active.contains(r.sede.as_str()) {
            return bad(i, format!("sede {} is unknown or inactive", r.sede));
        }
    }
    Ok(())
}

pub(super) fn validate_citizens(citizens: &[CitizenRow]) -> Result<(), ReferenceError> {
    let bad = |i, r: String| Err(ReferenceError::entry(CITIZENS_FILE, "citizens", i, r));
    let mut codes = HashSet::with_capacity(citizens.len());
    for (i, c) in citizens.iter().enumerate() {
        let cf = &c.codice_fiscale;
        if !codes.insert(cf.as_str()) {
            return bad(i, format!("duplicate codice fiscale {cf}"));
        }
        if blank(&c.surname) || blank(&c.name) {
            return bad(i, "empty surname or name".into());
        }
        if c.birth_place.as_deref().is_some_and(blank) {
            return bad(i, "empty birth place (omit it or give a name)".into());
        }
        if c.address.as_deref().is_some_and(blank) || c.municipality.as_deref().is_some_and(blank) {
            return bad(
                i,
                "empty address or municipality (omit it or give one)".into(),
            );
        }
        let sigla = |p: &Option<String>| {
            p.as_deref()
                .is_some_and(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_uppercase()))
        };
        if sigla(&c.birth_province) || sigla(&c.province) {
            return bad(i, "a province is two capital letters (EE: abroad)".into());
        }
        match compose(&c.surname, &c.name, c.birth_date, c.sex, &cf.place_code()) {
            Ok(natural) if natural.as_str() == cf.base_code() => {}
            Ok(natural) => {
                return bad(
                    i,
                    format!(
                        "codice fiscale {cf} does not match surname, name, sex and birth date \
                         (expected {natural} or one of its omocodia variants)"
                    ),
                )
            }
            Err(e) => return bad(i, e.to_string()),
        }
    }
    Ok(())
}

pub(super) fn validate_practices(
    practices: &mut [PracticeRow],
    citizens: &HashSet<&str>,
) -> Result<(), ReferenceError> {
    let bad = |i, r: String| Err(ReferenceError::entry(PRACTICES_FILE, "practices", i, r));
    let mut keys = HashSet::with_capacity(practices.len());
    for (i, p) in practices.iter_mut().enumerate() {
        match PracticeRef::parse(p.kind, &p.value) {
            Ok(r) => p.value = r.value,
            Err(e) => return bad(i, e.to_string()),
        }
        if !keys.insert((p.kind, p.value.clone())) {
            return bad(i, format!("duplicate practice {}", p.value));
        }
        if !citizens.contains(p.codice_fiscale.as_str()) {
            return bad(
                i,
                format!(
                    "codice fiscale {} is not in {CITIZENS_FILE}",
                    p.codice_fiscale
                ),
            );
        }
    }
    Ok(())
}

pub(super) fn validate_mandates(
    mandates: &mut [MandateRow],
    practices: &[PracticeRow],
) -> Result<(), ReferenceError> {
    let bad = |i, r: String| Err(ReferenceError::entry(MANDATES_FILE, "mandates", i, r));
    let pensions: HashSet<&str> = practices
        .iter()
        .filter(|p| p.kind == PracticeRefKind::Pensione)
        .map(|p| p.value.as_str())
        .collect();
    let mut keys = HashSet::with_capacity(mandates.len());
    for (i, m) in mandates.iter_mut().enumerate() {
        match PracticeRef::parse(PracticeRefKind::Pensione, &m.pension) {
            Ok(r) => m.pension = r.value,
            Err(e) => return bad(i, e.to_string()),
        }
        if !pensions.contains(m.pension.as_str()) {
            return bad(
                i,
                format!("pension {} is not in {PRACTICES_FILE}", m.pension),
            );
        }
        if !keys.insert((m.pension.clone(), m.patronato.to_string())) {
            return bad(i, "duplicate mandate".into());
        }
    }
    Ok(())
}
