//! Crypto-shredding at the store's edge (docs/privacy.md): what the store
//! needs to open what it reads, and what the commands seal with.
//!
//! - [`crypto`]: envelope encryption (AES-256-GCM): a data key per subject,
//!   wrapped by the master key behind the [`crypto::MasterKey`] port.
//! - [`personal`]: which fields of which event are personal, and the seal and
//!   open of a payload.
//! - [`keys`]: the subjects' wrapped data keys, cached; erasure destroys one
//!   and records who erased whom, when, on what ground.
//! - `new_keys`: the first uses of new subjects, stored together.
//! - `put_back`: an opened plaintext put back into its payload as it is parsed.
//! - [`hex_text`]: the hex text of sealed values and pseudonyms, by table.
//! - [`open`]: the opening of stored rows, joined with their subject's key.

pub mod crypto;
pub mod hex_text;
pub mod keys;
mod new_keys;
pub mod open;
pub mod personal;
pub mod pointer;
mod put_back;
