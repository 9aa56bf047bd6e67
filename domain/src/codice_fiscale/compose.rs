//! Composition: the (non-omocodic) codice fiscale of a person from their
//! names, sex, birth date and place.

use super::*;

/// Builds the (non-omocodic) codice fiscale of a person.
///
/// - Surname code: its consonants in order, then its vowels, then `X`
///   padding; the first three.
/// - Name code: if the name has 4 or more consonants, the 1st, 3rd and 4th;
///   otherwise as for the surname.
/// - Letters are upper-cased; common accented letters lose their accent
///   (`à`→`A`, `é`→`E`, `ç`→`C`, `ñ`→`N`, `š`→`S`, ...); spaces, apostrophes
///   (`'`, `’`), hyphens and dots are ignored. Vowels are `A E I O U`; every
///   other letter (`J K W X Y` included) is a consonant. Any other character
///   is [`CfError::NameInvalidCharacter`]; a surname or name without letters
///   is [`CfError::NameWithoutLetters`].
/// - Year: `birth.year()` modulo 100; month letter; day, +40 for women.
/// - `place_code`: a Belfiore code, one letter and three digits not `000`
///   (trimmed, case-insensitive); otherwise [`CfError::InvalidPlace`].
///
/// The result always satisfies [`CodiceFiscale::parse`].
pub fn compose(
    surname: &str,
    name: &str,
    birth: NaiveDate,
    sex: Sex,
    place_code: &str,
) -> Result<CodiceFiscale, CfError> {
    let surname_letters = name_letters(NameField::Surname, surname)?;
    let name_letters = name_letters(NameField::Name, name)?;
    let place = place_code.trim().to_ascii_uppercase();
    let pb = place.as_bytes();
    let place_ok = pb.len() == 4
        && pb[0].is_ascii_uppercase()
        && pb[1..].iter().all(u8::is_ascii_digit)
        && &pb[1..] != b"000";
    if !place_ok {
        return Err(CfError::InvalidPlace {
            found: place_code.to_string(),
        });
    }

    let mut first15 = [0u8; 15];
    first15[..3].copy_from_slice(&surname_code(&surname_letters));
    first15[3..6].copy_from_slice(&name_code(&name_letters));
    let yy = birth.year().rem_euclid(100) as u8;
    first15[6] = b'0' + yy / 10;
    first15[7] = b'0' + yy % 10;
    first15[8] = MONTHS[birth.month0() as usize];
    let day = birth.day() as u8
        + match sex {
            Sex::Male => 0,
            Sex::Female => 40,
        };
    first15[9] = b'0' + day / 10;
    first15[10] = b'0' + day % 10;
    first15[11..15].copy_from_slice(pb);
    Ok(CodiceFiscale(with_check(&first15)))
}

pub(super) fn is_vowel(c: u8) -> bool {
    matches!(c, b'A' | b'E' | b'I' | b'O' | b'U')
}

/// Consonants, then vowels, then `X`; the first three.
pub(super) fn surname_code(letters: &[u8]) -> [u8; 3] {
    let mut out = [b'X'; 3];
    let ordered = letters
        .iter()
        .filter(|&&c| !is_vowel(c))
        .chain(letters.iter().filter(|&&c| is_vowel(c)));
    for (slot, &c) in out.iter_mut().zip(ordered) {
        *slot = c;
    }
    out
}

/// 1st, 3rd and 4th consonant when there are at least four; else as surname.
pub(super) fn name_code(letters: &[u8]) -> [u8; 3] {
    let consonants: Vec<u8> = letters.iter().copied().filter(|&c| !is_vowel(c)).collect();
    if consonants.len() >= 4 {
        [consonants[0], consonants[2], consonants[3]]
    } else {
        surname_code(letters)
    }
}

/// The upper-case ASCII letters of a surname or name, accents stripped.
pub(super) fn name_letters(field: NameField, raw: &str) -> Result<Vec<u8>, CfError> {
    let mut out = Vec::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_whitespace() || matches!(c, '\'' | '’' | '‘' | '`' | '´' | '-' | '.') {
            continue;
        }
        let letter = if c.is_ascii_alphabetic() {
            c.to_ascii_uppercase()
        } else {
            strip_accent(c).ok_or(CfError::NameInvalidCharacter {
                field,
                character: c,
            })?
        };
        out.push(letter as u8);
    }
    if out.is_empty() {
        return Err(CfError::NameWithoutLetters { field });
    }
    Ok(out)
}

/// The upper-case ASCII base letter of a common accented letter.
pub(super) fn strip_accent(c: char) -> Option<char> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'A',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'E',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'O',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
        'ç' | 'č' | 'ć' | 'Ç' | 'Č' | 'Ć' => 'C',
        'ñ' | 'Ñ' => 'N',
        'š' | 'Š' => 'S',
        'ž' | 'Ž' => 'Z',
        'ý' | 'ÿ' | 'Ý' => 'Y',
        _ => return None,
    })
}
