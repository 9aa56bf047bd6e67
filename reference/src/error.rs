//! Errors of reading, validating and loading the reference files.

use std::fmt;
use std::path::PathBuf;

/// Where in a reference file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A JSON syntax or shape error at this line and column (one-based).
    Line { line: usize, column: usize },
    /// Entry `index` (zero-based) of the list `list` of the file, which
    /// starts at this line and column (one-based; 0 when unknown).
    Entry {
        list: &'static str,
        index: usize,
        line: usize,
        column: usize,
    },
    /// The file as a whole (e.g. its `version`).
    File,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line { line, column } => write!(f, "line {line}, column {column}"),
            Location::Entry {
                list,
                index,
                line: 0,
                ..
            } => write!(f, "{list}[{index}]"),
            Location::Entry {
                list,
                index,
                line,
                column,
            } => write!(f, "line {line}, column {column} ({list}[{index}])"),
            Location::File => f.write_str("whole file"),
        }
    }
}

/// Why the reference data could not be loaded. A `Malformed` or `Io` error is
/// raised before the database is touched: the previous data stays as it was.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("cannot read reference file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file, or one of its entries, is invalid. `file` is the file name
    /// (e.g. `citizens.json`).
    #[error("reference file {file}, {line_or_index}: {reason}")]
    Malformed {
        file: String,
        line_or_index: Location,
        reason: String,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Location {
    /// The list and index of an entry location.
    pub fn entry(&self) -> Option<(&'static str, usize)> {
        match self {
            Location::Entry { list, index, .. } => Some((list, *index)),
            _ => None,
        }
    }

    /// The line (one-based), when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            Location::Line { line, .. } | Location::Entry { line, .. } if *line > 0 => Some(*line),
            _ => None,
        }
    }
}

impl ReferenceError {
    pub(crate) fn entry(
        file: &str,
        list: &'static str,
        index: usize,
        reason: impl Into<String>,
    ) -> Self {
        ReferenceError::Malformed {
            file: file.to_string(),
            line_or_index: Location::Entry {
                list,
                index,
                line: 0,
                column: 0,
            },
            reason: reason.into(),
        }
    }
}

/// Maps a domain parse error found in a database row to a decode error (the
/// loader validated every row, so this means the table was edited by hand).
pub(crate) fn decode_err<E>(e: E) -> sqlx::Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    sqlx::Error::Decode(Box::new(e))
}
