-- Issue 26, decision P27: a citizen's bookings are found by the citizen's
-- keyed pseudonym (from the sealed `SlotBooked`'s `_sealed.subject`), not by
-- the codice fiscale in clear, which stays an unindexed display column.
-- Rows written before this migration hold NULL until
-- `combipat rebuild bookings` (docs/operations.md).

ALTER TABLE bookings ADD COLUMN citizen_pseudonym text;
-- "Le mie prenotazioni", the subject's copy, the erasure's scrub.
CREATE INDEX bookings_citizen_pseudonym ON bookings (citizen_pseudonym, slot_start)
    WHERE citizen_pseudonym IS NOT NULL;
DROP INDEX bookings_citizen;
