-- Counter appointments ("Sportelli di Sede", SPEC §4, seed 002) and
-- appointments on requests (SPEC §2.4). Design: docs/appointments.md.
--
-- The truth is in the event log: streams slot-<sede>-<counter>-<start>,
-- citizen-bookings-<cf>, sede-calendar-<sede>, queue-<sede>-<counter>-<day>
-- and, for appointments on requests, request-<uuid>. "Two people never hold
-- or book the same slot" is the events table's UNIQUE (stream_id, version);
-- the limits per codice fiscale are the citizen stream's version, appended in
-- the same transaction. Nothing below is needed for correctness: these are
-- reference data and read models.

-- Patron saints' days ----------------------------------------------------------------

-- A city's patron saint's day ("festa del santo patrono"), a local holiday on
-- which the sedi of the city (ref_sedi.city, same spelling) are closed.
-- Reference data shipped with this migration (the loader of reference/ does
-- not touch it); add a row for a city that is missing. National holidays are
-- computed (domain/src/booking/holidays.rs), not stored.
CREATE TABLE ref_patron_days (
    city   text PRIMARY KEY CHECK (city <> ''),
    month  smallint NOT NULL CHECK (month BETWEEN 1 AND 12),
    day    smallint NOT NULL CHECK (day BETWEEN 1 AND 31),
    saint  text NOT NULL CHECK (saint <> '')
);

INSERT INTO ref_patron_days (city, month, day, saint) VALUES
    ('Roma', 6, 29, 'Santi Pietro e Paolo'),
    ('Milano', 12, 7, 'Sant''Ambrogio'),
    ('Napoli', 9, 19, 'San Gennaro'),
    ('Torino', 6, 24, 'San Giovanni Battista'),
    ('Genova', 6, 24, 'San Giovanni Battista'),
    ('Firenze', 6, 24, 'San Giovanni Battista'),
    ('Bologna', 10, 4, 'San Petronio'),
    ('Palermo', 7, 15, 'Santa Rosalia'),
    ('Bari', 12, 6, 'San Nicola'),
    ('Venezia', 4, 25, 'San Marco'),
    ('Trieste', 11, 3, 'San Giusto'),
    ('Cagliari', 10, 30, 'San Saturnino'),
    ('Catania', 2, 5, 'Sant''Agata'),
    ('Messina', 6, 3, 'Madonna della Lettera'),
    ('Ancona', 5, 4, 'San Ciriaco'),
    ('Perugia', 1, 29, 'San Costanzo'),
    ('L''Aquila', 6, 10, 'San Massimo'),
    ('Potenza', 5, 30, 'San Gerardo'),
    ('Catanzaro', 7, 16, 'San Vitaliano'),
    ('Campobasso', 4, 23, 'San Giorgio'),
    ('Reggio di Calabria', 4, 23, 'San Giorgio'),
    ('Trento', 6, 26, 'San Vigilio'),
    ('Aosta', 9, 7, 'San Grato'),
    ('Bergamo', 8, 26, 'Sant''Alessandro'),
    ('Brescia', 2, 15, 'Santi Faustino e Giovita'),
    ('Como', 8, 31, 'Sant''Abbondio'),
    ('Cremona', 11, 13, 'Sant''Omobono'),
    ('Mantova', 3, 18, 'Sant''Anselmo'),
    ('Pavia', 12, 9, 'San Siro'),
    ('Monza', 6, 24, 'San Giovanni Battista'),
    ('Lodi', 1, 19, 'San Bassiano'),
    ('Sondrio', 6, 19, 'Santi Gervasio e Protasio'),
    ('Lecco', 12, 6, 'San Nicolò'),
    ('Varese', 5, 8, 'San Vittore'),
    ('Novara', 1, 22, 'San Gaudenzio'),
    ('Vercelli', 8, 1, 'Sant''Eusebio'),
    ('Cuneo', 9, 29, 'San Michele'),
    ('Alessandria', 11, 10, 'San Baudolino'),
    ('Verona', 5, 21, 'San Zeno'),
    ('Padova', 6, 13, 'Sant''Antonio'),
    ('Vicenza', 9, 8, 'Madonna di Monte Berico'),
    ('Treviso', 4, 27, 'San Liberale'),
    ('Belluno', 11, 11, 'San Martino'),
    ('Udine', 7, 12, 'Santi Ermacora e Fortunato'),
    ('Gorizia', 3, 16, 'Santi Ilario e Taziano'),
    ('Parma', 1, 13, 'Sant''Ilario'),
    ('Modena', 1, 31, 'San Geminiano'),
    ('Reggio nell''Emilia', 11, 24, 'San Prospero'),
    ('Piacenza', 7, 4, 'Sant''Antonino'),
    ('Ferrara', 4, 23, 'San Giorgio'),
    ('Ravenna', 7, 23, 'Sant''Apollinare'),
    ('Rimini', 10, 14, 'San Gaudenzo'),
    ('Forlì', 2, 4, 'Madonna del Fuoco'),
    ('Pisa', 6, 17, 'San Ranieri'),
    ('Livorno', 5, 22, 'Santa Giulia'),
    ('Lucca', 7, 12, 'San Paolino'),
    ('Siena', 12, 1, 'Sant''Ansano'),
    ('Arezzo', 8, 7, 'San Donato'),
    ('Pistoia', 7, 25, 'San Jacopo'),
    ('Grosseto', 8, 10, 'San Lorenzo'),
    ('La Spezia', 3, 19, 'San Giuseppe'),
    ('Savona', 3, 18, 'Nostra Signora della Misericordia'),
    ('Terni', 2, 14, 'San Valentino'),
    ('Viterbo', 9, 4, 'Santa Rosa'),
    ('Rieti', 12, 4, 'Santa Barbara'),
    ('Macerata', 8, 31, 'San Giuliano'),
    ('Ascoli Piceno', 8, 5, 'Sant''Emidio'),
    ('Pescara', 10, 10, 'San Cetteo'),
    ('Chieti', 5, 11, 'San Giustino'),
    ('Teramo', 12, 19, 'San Berardo'),
    ('Salerno', 9, 21, 'San Matteo'),
    ('Caserta', 1, 20, 'San Sebastiano'),
    ('Avellino', 2, 14, 'San Modestino'),
    ('Benevento', 8, 24, 'San Bartolomeo'),
    ('Lecce', 8, 26, 'Sant''Oronzo'),
    ('Taranto', 5, 10, 'San Cataldo'),
    ('Matera', 7, 2, 'Madonna della Bruna'),
    ('Crotone', 10, 9, 'San Dionigi'),
    ('Siracusa', 12, 13, 'Santa Lucia'),
    ('Trapani', 8, 7, 'Sant''Alberto'),
    ('Sassari', 12, 6, 'San Nicola'),
    ('Nuoro', 8, 5, 'Madonna della Neve'),
    ('Massa', 10, 4, 'San Francesco');

-- Read models of the `bookings` projection (projections/src/bookings) ----------------

-- One row per slot ever held or booked: who has it. A slot is taken at an
-- instant `now` when state = 'booked', or state = 'held' and
-- hold_expires_at > now — so an expired hold frees the slot without anyone
-- acting. A slot without a row is free.
CREATE TABLE booking_slots (
    -- slot-<sede>-<counter>-<start>
    stream_id        text NOT NULL UNIQUE,
    sede_code        text NOT NULL,
    counter_type     text NOT NULL,
    slot_start       timestamptz NOT NULL,
    slot_end         timestamptz NOT NULL,
    state            text NOT NULL CHECK (state IN ('held', 'booked', 'free')),
    hold_id          uuid,
    hold_expires_at  timestamptz,
    booking_id       uuid,
    -- Stream version last applied (idempotent replays).
    version          integer NOT NULL,
    PRIMARY KEY (sede_code, counter_type, slot_start)
);
-- The calendar's question: taken slots of a counter in a time range.
CREATE INDEX booking_slots_taken ON booking_slots (sede_code, counter_type, slot_start)
    WHERE state <> 'free';

-- One row per booking (citizens' and requests'), for "le mie prenotazioni",
-- the sede's agenda, the iCalendar and the request's appointment.
CREATE TABLE bookings (
    booking_id       uuid PRIMARY KEY,
    code             text NOT NULL,
    sede_code        text NOT NULL,
    counter_type     text NOT NULL,
    slot_start       timestamptz NOT NULL,
    slot_end         timestamptz NOT NULL,
    -- 'citizen' or 'request'
    booker_kind      text NOT NULL CHECK (booker_kind IN ('citizen', 'request')),
    codice_fiscale   text,
    authenticated    boolean NOT NULL DEFAULT false,
    request_id       uuid,
    protocol         text,
    booked_by        text,
    patronato        text,
    office           text,
    mode             text CHECK (mode IN ('in_presenza', 'ricontatto_telefonico', 'web_meeting')),
    reason           text,
    mobile           text,
    email            text,
    status           text NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    confirmed_at     timestamptz NOT NULL,
    cancelled_at     timestamptz,
    -- 'citizen' | 'patronato' | 'sede'
    cancelled_side   text,
    cancelled_by     text,
    cancel_reason    text,
    last_position    bigint NOT NULL
);
CREATE INDEX bookings_citizen ON bookings (codice_fiscale, slot_start);
CREATE INDEX bookings_sede_day ON bookings (sede_code, slot_start);
CREATE INDEX bookings_request ON bookings (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX bookings_code ON bookings (code);

-- The request's appointment in its summary (projection `requests`) ------------------

ALTER TABLE request_summary
    ADD COLUMN appointment_booking_id uuid,
    ADD COLUMN appointment_start timestamptz,
    -- The status before the appointment was booked: restored on cancellation.
    ADD COLUMN status_before_appointment text;
