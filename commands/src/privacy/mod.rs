//! Personal data under control (issue 26, docs/privacy.md).
//!
//! - [`pseudonym`]: keyed pseudonyms (HMAC-SHA256) of data subjects, used
//!   wherever an identifier would otherwise hold a codice fiscale.
//! - [`reads`]: the record of who read whose personal data, written by a group
//!   commit that answers each read only once its record is durable.

pub mod pseudonym;
pub mod reads;

pub use pseudonym::Pseudonyms;
pub use reads::{ReadLog, ReadLogError, ReadQuery, ReadRecord, RecordedRead, SubjectKind};
