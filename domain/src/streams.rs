//! The names of the event log's stream types: written by the command side,
//! read by the projections and the notifications, so they live here, where
//! both see them (next to the stream ids of each aggregate).

/// A request's stream (`RequestId::stream_id`).
pub const REQUEST: &str = "request";
/// A bookable slot's stream (`Slot::stream_id`).
pub const SLOT: &str = "slot";
/// A citizen's bookings (`citizen_stream_id`).
pub const CITIZEN_BOOKINGS: &str = "citizen_bookings";
/// A sede's closures and notices (`sede_calendar_stream_id`).
pub const SEDE_CALENDAR: &str = "sede_calendar";
/// A counter's queue of one day (`queue_stream_id`).
pub const QUEUE: &str = "queue";
