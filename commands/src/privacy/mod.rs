//! Personal data under control (issue 26, docs/privacy.md).
//!
//! - [`pseudonym`]: keyed pseudonyms (HMAC-SHA256) of data subjects, used
//!   wherever an identifier would otherwise hold a codice fiscale.
//! - [`crypto`], [`personal`], [`keys`] (in the store crate, which opens what
//!   it reads with them):
//!   [`crypto`]: envelope encryption (AES-256-GCM): a data key per subject,
//!   wrapped by the master key behind the [`crypto::MasterKey`] port.
//! - [`personal`]: which fields of which event are personal, and the seal and
//!   open of a payload (crypto-shredding at the store's edge).
//! - [`keys`]: the subjects' wrapped data keys, cached; erasure destroys one
//!   and records who erased whom, when, on what ground.
//! - [`seal`]: sealing of commands' writes (the opening of stored rows is
//!   the store's, `store::privacy::open`).
//! - [`reads`]: the record of who read whose personal data, written by a group
//!   commit that answers each read only once its record is durable.

pub use store::privacy::{crypto, keys, personal};
pub mod pseudonym;
pub mod reads;
pub mod retention;
pub mod seal;

pub use pseudonym::{PseudonymKeyError, Pseudonyms};
pub use reads::{ReadLog, ReadLogError, ReadQuery, ReadRecord, RecordedRead, SubjectKind};
