//! Decoding a stored request event whose variant the log already names.
//!
//! The stored JSON carries its variant in a `type` field (serde's internally
//! tagged form), and serde decodes that form by first copying the whole
//! payload into a buffer of its own, to find the tag, then decoding the
//! variant from the copy. The log stores the same name in its `event_type`
//! column, so a reader that has the column decodes the variant from the
//! payload directly ([`RequestEvent::from_stored`]). The projection workers
//! decode every request event of the log this way (decision A40).

use super::events::{AttachmentRef, RequestEvent, RequestSent};
use super::rules::AppointmentGround;
use crate::actor::Side;
use crate::booking::{BookingCode, BookingId, SlotRef};
use crate::ids::{AttachmentId, SedeCode, UserId};
use crate::time::Timestamp;
use serde::de::{self, DeserializeSeed, EnumAccess, IntoDeserializer, VariantAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

impl RequestEvent {
    /// The event stored as `payload` under `event_type`. The payload's own
    /// `type` field is not read: a caller that must check it against
    /// `event_type` does so itself.
    pub fn from_stored<'de, D: Deserializer<'de>>(
        event_type: &str,
        payload: D,
    ) -> Result<RequestEvent, D::Error> {
        ByEventType::deserialize(Named {
            variant: event_type,
            payload,
        })
    }
}

/// [`RequestEvent`] in serde's externally tagged form, decoded from a
/// [`Named`] payload. With `remote`, the compiler holds this copy to the
/// original: decoding builds each variant with all its fields, and the
/// (unused) `Serialize` matches every variant of [`RequestEvent`], so a
/// variant or field added there and not here does not compile.
#[derive(Serialize, Deserialize)]
#[serde(remote = "RequestEvent")]
#[allow(dead_code)] // the Serialize half exists for the exhaustive match only
enum ByEventType {
    RequestSent(Box<RequestSent>),
    AttachmentAdded {
        attachment: AttachmentRef,
        by: UserId,
        side: Side,
        at: Timestamp,
    },
    AttachmentRemoved {
        attachment_id: AttachmentId,
        by: UserId,
        at: Timestamp,
    },
    TakenInCharge {
        by: UserId,
        sede: SedeCode,
        at: Timestamp,
    },
    ReplyReceived {
        by: UserId,
        sede: SedeCode,
        text: String,
        attachments: Vec<AttachmentRef>,
        at: Timestamp,
    },
    MessageSent {
        by: UserId,
        text: String,
        attachments: Vec<AttachmentRef>,
        interaction: u8,
        at: Timestamp,
    },
    SollecitoSent {
        by: UserId,
        number: u32,
        at: Timestamp,
    },
    ForwardedToSede {
        by: UserId,
        from: SedeCode,
        to: SedeCode,
        reason: String,
        at: Timestamp,
    },
    AppointmentEnabled {
        by: UserId,
        sede: SedeCode,
        at: Timestamp,
    },
    ConversationClosed {
        by: UserId,
        sede: SedeCode,
        note: Option<String>,
        at: Timestamp,
    },
    AppointmentBooked {
        booking_id: BookingId,
        code: BookingCode,
        slot: SlotRef,
        ground: AppointmentGround,
        by: UserId,
        at: Timestamp,
    },
    AppointmentCancelled {
        booking_id: BookingId,
        by: UserId,
        side: Side,
        reason: Option<String>,
        at: Timestamp,
    },
}

/// A payload with its variant's name beside it: an externally tagged enum
/// to serde.
struct Named<'a, D> {
    variant: &'a str,
    payload: D,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Named<'_, D> {
    type Error = D::Error;

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        visitor.visit_enum(self)
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, D::Error> {
        Err(de::Error::custom("a stored event decodes as an enum only"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

impl<'de, D: Deserializer<'de>> EnumAccess<'de> for Named<'_, D> {
    type Error = D::Error;
    type Variant = Payload<D>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Payload<D>), D::Error> {
        let variant = seed.deserialize(self.variant.into_deserializer())?;
        Ok((variant, Payload(self.payload)))
    }
}

/// The payload of a [`Named`] variant.
struct Payload<D>(D);

impl<'de, D: Deserializer<'de>> VariantAccess<'de> for Payload<D> {
    type Error = D::Error;

    fn unit_variant(self) -> Result<(), D::Error> {
        Err(de::Error::custom("no request event is a unit variant"))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, D::Error> {
        seed.deserialize(self.0)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct("RequestEvent", fields, visitor)
    }
}
