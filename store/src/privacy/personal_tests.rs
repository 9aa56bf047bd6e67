use super::*;
use serde_json::json;

fn sent() -> Value {
    json!({"type": "RequestSent", "protocol": "INPS.1234.2026.0000001",
           "requester": {"kind": "citizen", "codice_fiscale": "RSSMRA60E12H501E",
                         "surname": "ROSSI", "name": "MARIO", "birth_date": "1960-05-12",
                         "birth_place": "ROMA", "cap": "00184"},
           "text": "Mio figlio Luca…", "notes": null,
           "attachments": [{"id": "a1", "sha256": "ab12", "filename": "CI_ROSSI.pdf",
                            "media_type": "application/pdf", "size": 10}],
           "at": "2026-03-01T10:00:00Z"})
}

fn to<'a>(subject: &'a str, dek: &'a DataKey) -> SealFor<'a> {
    SealFor {
        subject: Some((subject, dek)),
        joint: None,
    }
}

#[test]
fn sealed_payloads_hold_no_personal_field_and_open_to_the_original() {
    let dek = crypto::new_data_key();
    let original = sent();
    let mut p = original.clone();
    assert_eq!(subject_code("RequestSent", &p), Some("RSSMRA60E12H501E"));
    assert!(seal_payload("RequestSent", &mut p, to("cabc", &dek)).unwrap());
    let stored = p.to_string();
    for clear in ["RSSMRA60E12H501E", "ROSSI", "MARIO", "1960-05-12", "Luca"] {
        assert!(!stored.contains(clear), "{clear} in {stored}");
    }
    assert!(stored.contains("INPS.1234.2026.0000001") && stored.contains("00184"));
    // The file's hash, type and size stay in clear.
    assert_eq!(p["attachments"][0]["sha256"], "ab12");
    assert_eq!(p["attachments"][0]["size"], 10);
    assert_eq!(sealed_subject(&p), Some("cabc"));
    open_payload("RequestSent", &mut p, Some(&dek), None).unwrap();
    assert_eq!(p, original);
}

#[test]
fn values_sealed_in_hex_before_p32_still_open_and_an_ambiguous_value_is_refused() {
    let dek = crypto::new_data_key();
    let original = sent();
    let mut p = original.clone();
    seal_payload("RequestSent", &mut p, to("cabc", &dek)).unwrap();
    let b64 = p[SEALED_KEY][FIELDS_KEY].as_str().unwrap().to_string();
    let bytes = BASE64.decode(&b64).unwrap();
    // Base64 is two thirds of hex's length: what keeps a request's row small.
    assert!(b64.len() * 3 <= hex_text::encode(&bytes).len() * 2 + 4);

    let mut old = p.clone();
    let sealed = old[SEALED_KEY].as_object_mut().unwrap();
    sealed.remove(FIELDS_KEY);
    sealed.insert(HEX_FIELDS_KEY.into(), hex_text::encode(&bytes).into());
    open_payload("RequestSent", &mut old, Some(&dek), None).unwrap();
    assert_eq!(old, original);

    let mut both = p.clone();
    both[SEALED_KEY][HEX_FIELDS_KEY] = hex_text::encode(&bytes).into();
    assert_eq!(
        open_payload("RequestSent", &mut both, Some(&dek), None),
        Err(CryptoError::Malformed)
    );
    let mut not_base64 = p.clone();
    not_base64[SEALED_KEY][FIELDS_KEY] = "§§§§".into();
    assert_eq!(
        open_payload("RequestSent", &mut not_base64, Some(&dek), None),
        Err(CryptoError::Malformed)
    );
}

#[test]
fn without_the_key_personal_fields_read_as_erased_and_the_rest_stays() {
    let dek = crypto::new_data_key();
    let mut p = sent();
    seal_payload("RequestSent", &mut p, to("cabc", &dek)).unwrap();
    open_payload("RequestSent", &mut p, None, None).unwrap();
    assert_eq!(p["requester"]["surname"], ERASED);
    assert_eq!(p["requester"]["codice_fiscale"], ERASED);
    assert_eq!(p["text"], ERASED);
    assert_eq!(p["attachments"][0]["filename"], ERASED);
    assert_eq!(p["attachments"][0]["sha256"], "ab12");
    // An empty optional field was never anyone's data: it stays empty.
    assert_eq!(p["notes"], Value::Null);
    assert_eq!(p["protocol"], "INPS.1234.2026.0000001");
    assert_eq!(p["at"], "2026-03-01T10:00:00Z");
}

#[test]
fn free_texts_of_a_request_are_sealed() {
    let dek = crypto::new_data_key();
    for (event_type, mut p, field) in [
        (
            "ForwardedToSede",
            json!({"type": "ForwardedToSede", "reason": "Il sig. Rossi è in Puglia"}),
            "reason",
        ),
        (
            "ConversationClosed",
            json!({"type": "ConversationClosed", "note": "Rossi informato"}),
            "note",
        ),
        (
            "AppointmentCancelled",
            json!({"type": "AppointmentCancelled", "reason": "Rossi ricoverato"}),
            "reason",
        ),
        (
            "MessageSent",
            json!({"type": "MessageSent", "text": "Rossi",
                   "attachments": [{"sha256": "s", "filename": "Rossi.pdf"}]}),
            "text",
        ),
    ] {
        assert!(seal_payload(event_type, &mut p, to("cabc", &dek)).unwrap());
        assert!(!p.to_string().contains("Rossi"), "{p}");
        let mut erased = p.clone();
        open_payload(event_type, &mut erased, None, None).unwrap();
        assert_eq!(erased[field], ERASED, "{erased}");
        open_payload(event_type, &mut p, Some(&dek), None).unwrap();
        assert!(p[field].as_str().unwrap().contains("Rossi"));
    }
}

fn booked() -> Value {
    json!({"type": "SlotBooked", "booking_id": "4b9c…",
           "booker": {"kind": "citizen", "codice_fiscale": "RSSMRA60E12H501E",
                      "authenticated": false,
                      "details": {"mode": "in_presenza", "reason": "Estratto conto",
                                  "mobile": "+393331234567", "email": "m@example.it"}}})
}

#[test]
fn a_bookings_contacts_go_with_either_key_and_its_code_with_the_citizens() {
    let (citizen, booking) = (crypto::new_data_key(), crypto::new_data_key());
    let original = booked();
    let mut p = original.clone();
    assert_eq!(joint_booking("SlotBooked", &p), Some("4b9c…"));
    let both = SealFor {
        subject: Some(("cabc", &citizen)),
        joint: Some(("bdef", &booking)),
    };
    assert!(seal_payload("SlotBooked", &mut p, both).unwrap());
    let stored = p.to_string();
    for clear in ["RSSMRA60E12H501E", "Estratto", "3331234567", "m@example.it"] {
        assert!(!stored.contains(clear), "{clear} in {stored}");
    }
    assert_eq!(sealed_joint_subject(&p), Some("bdef"));
    let open = |citizen: Option<&DataKey>, booking: Option<&DataKey>| {
        let mut q = p.clone();
        open_payload("SlotBooked", &mut q, citizen, booking).unwrap();
        q
    };
    assert_eq!(open(Some(&citizen), Some(&booking)), original);
    // The booking's key destroyed (retention): the contacts go, the code stays.
    let retained = open(Some(&citizen), None);
    assert_eq!(retained["booker"]["codice_fiscale"], "RSSMRA60E12H501E");
    assert_eq!(retained["booker"]["details"]["reason"], ERASED);
    assert_eq!(retained["booker"]["details"]["mobile"], Value::Null);
    assert_eq!(retained["booker"]["details"]["email"], Value::Null);
    assert_eq!(retained["booker"]["details"]["mode"], "in_presenza");
    // The citizen's key destroyed: everything goes, whatever the booking's.
    let erased = open(None, Some(&booking));
    assert_eq!(erased["booker"]["codice_fiscale"], ERASED);
    assert_eq!(erased["booker"]["details"]["mobile"], Value::Null);
    assert_eq!(erased["booker"]["details"]["reason"], ERASED);
    // Neither key alone opens the contacts.
    let mut swapped = p.clone();
    assert!(open_payload("SlotBooked", &mut swapped, Some(&booking), Some(&citizen)).is_err());
}

#[test]
fn without_a_known_citizen_joint_fields_are_the_bookings_alone() {
    let booking = crypto::new_data_key();
    let mut p = json!({"type": "SlotBookingCancelled", "booking_id": "4b9c…",
                       "reason": "Rossi non può venire"});
    let only = SealFor {
        subject: None,
        joint: Some(("bdef", &booking)),
    };
    assert!(seal_payload("SlotBookingCancelled", &mut p, only).unwrap());
    assert!(!p.to_string().contains("Rossi"));
    assert_eq!(sealed_subject(&p), Some("bdef"));
    let mut erased = p.clone();
    open_payload("SlotBookingCancelled", &mut erased, None, None).unwrap();
    assert_eq!(erased["reason"], ERASED);
    open_payload("SlotBookingCancelled", &mut p, Some(&booking), None).unwrap();
    assert_eq!(p["reason"], "Rossi non può venire");
}

#[test]
fn a_sealed_payload_opens_only_as_its_event_and_subject() {
    let dek = crypto::new_data_key();
    let mut p = sent();
    seal_payload("RequestSent", &mut p, to("cabc", &dek)).unwrap();
    p[SEALED_KEY]["subject"] = json!("cother");
    assert!(open_payload("RequestSent", &mut p, Some(&dek), None).is_err());
}

#[test]
fn events_without_personal_fields_are_untouched() {
    let dek = crypto::new_data_key();
    let mut p = json!({"type": "TakenInCharge", "by": "u1"});
    assert!(!seal_payload("TakenInCharge", &mut p, to("cabc", &dek)).unwrap());
    assert_eq!(p, json!({"type": "TakenInCharge", "by": "u1"}));
    open_payload("TakenInCharge", &mut p, None, None).unwrap();
    assert_eq!(p, json!({"type": "TakenInCharge", "by": "u1"}));
}
