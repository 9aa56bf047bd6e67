-- ---------------------------------------------------------------------------
-- Who acted on a request, in the Cronologia: the role from the event's
-- metadata (operator, patronato_admin, regional_referent, sede_officer, …),
-- which the API turns into words ("Operatore del patronato …", "Sede INPS …").
-- Rows written before this migration keep NULL (the API then names the side)
-- until `combipat rebuild requests` (docs/operations.md).
-- ---------------------------------------------------------------------------

ALTER TABLE request_timeline ADD COLUMN actor_role text;
