-- What the registry shows to tell homonyms apart (manual §3.2.1, fig. 7):
-- "Nato il … a … (prov.), residente in … (prov.)". Loaded from citizens.json.
ALTER TABLE ref_citizens
    ADD COLUMN birth_province         text CHECK (birth_province ~ '^[A-Z]{2}$'),
    ADD COLUMN residence_address      text,
    ADD COLUMN residence_municipality text,
    ADD COLUMN residence_province     text CHECK (residence_province ~ '^[A-Z]{2}$');
