-- The citizens' booking app (issue 25): the service chosen on "Scegli il
-- servizio richiesto" (seed 002), recorded on the booking (SlotBooked.service)
-- and kept beside it in the `bookings` read model. NULL for bookings made
-- without one (older clients, appointments on requests).
ALTER TABLE bookings
    ADD COLUMN service_code text,
    ADD COLUMN service_name text;
