//! Rows written with `COPY … FROM STDIN` (text format) instead of `INSERT`:
//! what a rebuild uses to fill its empty shadow tables.
//!
//! PostgreSQL parses each column of a COPY row once, with the column type's
//! input function; an `INSERT … SELECT FROM jsonb_populate_recordset` first
//! parses the whole batch as JSON, then turns each field back into text for
//! that same input function. COPY cannot skip rows that are already there
//! (no `ON CONFLICT`), so only rows that no one has written yet go this way.
//!
//! A row is any `Serialize` struct whose field names are the table's column
//! names (the same rule as the JSON path): strings, numbers, booleans and
//! `None` are written as COPY text; a field that serialises as a map or a
//! list (a `jsonb` column) is written as its JSON text.

use crate::ProjectionError;
use serde::ser::{self, Impossible, Serialize};
use sqlx::postgres::PgConnection;
use std::fmt::{self, Display, Write as _};

/// Rows of one table in COPY text format.
pub(crate) struct CopyRows {
    table: &'static str,
    columns: Vec<&'static str>,
    /// The column names of the row being pushed (kept to reuse its memory).
    scratch: Vec<&'static str>,
    /// Kept across [`CopyRows::send`]: a replay fills one of these per batch.
    text: String,
    rows: usize,
}

impl CopyRows {
    pub(crate) fn new(table: &'static str) -> Self {
        CopyRows {
            table,
            columns: Vec::new(),
            scratch: Vec::new(),
            text: String::new(),
            rows: 0,
        }
    }

    pub(crate) fn push<T: Serialize>(&mut self, row: &T) {
        self.scratch.clear();
        row.serialize(RowSerializer {
            out: &mut self.text,
            columns: &mut self.scratch,
        })
        .expect("a projection row is a struct of plain fields");
        if self.columns.is_empty() {
            self.columns.clone_from(&self.scratch);
        } else {
            debug_assert_eq!(self.columns, self.scratch, "every row has the same columns");
        }
        self.rows += 1;
    }

    /// Sends the rows (if any) and forgets them.
    pub(crate) async fn send(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        if self.rows == 0 {
            return Ok(());
        }
        let statement = format!(
            "COPY {} ({}) FROM STDIN",
            self.table,
            self.columns.join(", ")
        );
        let mut copy = conn.copy_in_raw(&statement).await?;
        if let Err(e) = copy.send(self.text.as_bytes()).await {
            // Leave the connection usable; the error is the one that matters.
            let _ = copy.abort("send failed").await;
            return Err(e.into());
        }
        copy.finish().await?;
        self.text.clear();
        self.rows = 0;
        Ok(())
    }
}

/// Appends `value` escaped for a COPY text field.
fn escape_into(out: &mut String, value: &str) {
    // Most fields need no escape: one byte scan, then one copy.
    let bytes = value.as_bytes();
    let mut start = 0;
    for (at, byte) in bytes.iter().enumerate() {
        let escaped = match byte {
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            _ => continue,
        };
        // The four bytes are ASCII: `start..at` lies on character boundaries.
        out.push_str(&value[start..at]);
        out.push_str(escaped);
        start = at + 1;
    }
    out.push_str(&value[start..]);
}

#[derive(Debug)]
pub(crate) struct NotARow(String);

impl Display for NotARow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotARow {}

impl ser::Error for NotARow {
    fn custom<T: Display>(msg: T) -> Self {
        NotARow(msg.to_string())
    }
}

fn not_a_row<T>(what: &str) -> Result<T, NotARow> {
    Err(NotARow(format!("a COPY row must be a struct, not {what}")))
}

struct RowSerializer<'a> {
    out: &'a mut String,
    columns: &'a mut Vec<&'static str>,
}

struct RowFields<'a> {
    out: &'a mut String,
    columns: &'a mut Vec<&'static str>,
}

impl<'a> ser::Serializer for RowSerializer<'a> {
    type Ok = ();
    type Error = NotARow;
    type SerializeSeq = Impossible<(), NotARow>;
    type SerializeTuple = Impossible<(), NotARow>;
    type SerializeTupleStruct = Impossible<(), NotARow>;
    type SerializeTupleVariant = Impossible<(), NotARow>;
    type SerializeMap = Impossible<(), NotARow>;
    type SerializeStruct = RowFields<'a>;
    type SerializeStructVariant = Impossible<(), NotARow>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<RowFields<'a>, NotARow> {
        Ok(RowFields {
            out: self.out,
            columns: self.columns,
        })
    }

    fn serialize_bool(self, _: bool) -> Result<(), NotARow> {
        not_a_row("a boolean")
    }
    fn serialize_i8(self, _: i8) -> Result<(), NotARow> {
        not_a_row("a number")
    }
    fn serialize_i16(self, _: i16) -> Result<(), NotARow> {
        not_a_row("a number")
    }
    fn serialize_i32(self, _: i32) -> Result<(), NotARow> {
        not_a_row("a number")
    }
    fn serialize_i64(self, _: i64) -> Result<(), NotARow> {
        not_a_row("a number")
    }
    fn serialize_u8(self, _: u8) -> Result<(), NotARow> {
        not_a_row("a number")
    }
    fn serialize_u16(self, _: u16) -> Result<(), NotARow> {
        not_a_row("a number")
    }
    fn serialize_u32(self, _: u32) -> Result<(), NotARow> {
        not_a_row("a number")
    }
    fn serialize_u64(self, _: u64) -> Result<(), NotARow> {
        not_a_row("a number")
    }
    fn serialize_f32(self, _: f32) -> Result<(), NotARow> {
        not_a_row("a number")
    }
    fn serialize_f64(self, _: f64) -> Result<(), NotARow> {
        not_a_row("a number")
    }
    fn serialize_char(self, _: char) -> Result<(), NotARow> {
        not_a_row("a character")
    }
    fn serialize_str(self, _: &str) -> Result<(), NotARow> {
        not_a_row("a string")
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), NotARow> {
        not_a_row("bytes")
    }
    fn serialize_none(self) -> Result<(), NotARow> {
        not_a_row("an option")
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<(), NotARow> {
        not_a_row("an option")
    }
    fn serialize_unit(self) -> Result<(), NotARow> {
        not_a_row("a unit")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), NotARow> {
        not_a_row("a unit")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), NotARow> {
        not_a_row("an enum")
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), NotARow> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotARow> {
        not_a_row("an enum")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotARow> {
        not_a_row("a list")
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotARow> {
        not_a_row("a tuple")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotARow> {
        not_a_row("a tuple")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotARow> {
        not_a_row("an enum")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotARow> {
        not_a_row("a map")
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotARow> {
        not_a_row("an enum")
    }
}

impl ser::SerializeStruct for RowFields<'_> {
    type Ok = ();
    type Error = NotARow;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), NotARow> {
        if !self.columns.is_empty() {
            self.out.push('\t');
        }
        self.columns.push(key);
        match value.serialize(FieldSerializer { out: self.out }) {
            Ok(()) => Ok(()),
            // A map or list: the whole value is JSON (a jsonb column). Nothing
            // of it was written before the serializer said so.
            Err(Field::Nested) => {
                let json = serde_json::to_string(value).map_err(ser::Error::custom)?;
                escape_into(self.out, &json);
                Ok(())
            }
            Err(Field::Other(e)) => Err(e),
        }
    }

    fn end(self) -> Result<(), NotARow> {
        self.out.push('\n');
        Ok(())
    }
}

enum Field {
    /// The value is a map or a list.
    Nested,
    Other(NotARow),
}

impl Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Nested => f.write_str("nested value"),
            Field::Other(e) => e.fmt(f),
        }
    }
}

impl fmt::Debug for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Display::fmt(self, f)
    }
}

impl std::error::Error for Field {}

impl ser::Error for Field {
    fn custom<T: Display>(msg: T) -> Self {
        Field::Other(NotARow(msg.to_string()))
    }
}

/// One column's value.
struct FieldSerializer<'a> {
    out: &'a mut String,
}

impl FieldSerializer<'_> {
    fn display(self, v: impl Display) -> Result<(), Field> {
        write!(self.out, "{v}").expect("writing to a String");
        Ok(())
    }
}

impl ser::Serializer for FieldSerializer<'_> {
    type Ok = ();
    type Error = Field;
    type SerializeSeq = Impossible<(), Field>;
    type SerializeTuple = Impossible<(), Field>;
    type SerializeTupleStruct = Impossible<(), Field>;
    type SerializeTupleVariant = Impossible<(), Field>;
    type SerializeMap = Impossible<(), Field>;
    type SerializeStruct = Impossible<(), Field>;
    type SerializeStructVariant = Impossible<(), Field>;

    fn serialize_bool(self, v: bool) -> Result<(), Field> {
        self.out.push(if v { 't' } else { 'f' });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Field> {
        self.display(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Field> {
        self.display(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Field> {
        self.display(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Field> {
        self.display(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Field> {
        self.display(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Field> {
        self.display(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Field> {
        self.display(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Field> {
        self.display(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Field> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Field> {
        // PostgreSQL reads Rust's `NaN`, `inf` and `-inf`.
        self.display(v)
    }
    fn serialize_char(self, v: char) -> Result<(), Field> {
        escape_into(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Field> {
        escape_into(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Field> {
        Err(ser::Error::custom("bytes are not a COPY column here"))
    }
    fn serialize_none(self) -> Result<(), Field> {
        self.out.push_str("\\N");
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Field> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Field> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Field> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Field> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Field> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Field> {
        Err(Field::Nested)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Field> {
        Err(Field::Nested)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Field> {
        Err(Field::Nested)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Field> {
        Err(Field::Nested)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Field> {
        Err(Field::Nested)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Field> {
        Err(Field::Nested)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Field> {
        Err(Field::Nested)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Field> {
        Err(Field::Nested)
    }
}

#[cfg(test)]
#[path = "copy_tests.rs"]
mod tests;
