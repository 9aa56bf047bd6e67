-- Retention of booking contacts (issue 26, decision P20): `combipat retention`
-- empties a booking's mobile, e-mail and reason in this read model once the
-- appointment is past its period, and says when. A rebuild starts it again
-- from NULL: the log's copy is then either sealed under the booking's
-- destroyed key (read back erased) or, for events written before sealing,
-- emptied again by the next run.
ALTER TABLE bookings ADD COLUMN contacts_erased_at timestamptz;
-- The retention step's question: ended appointments whose contacts remain.
CREATE INDEX bookings_contacts_kept ON bookings (slot_end) WHERE contacts_erased_at IS NULL;
