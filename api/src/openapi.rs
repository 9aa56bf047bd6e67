//! The OpenAPI document, generated from the handlers' annotations. Served at
//! `/api/openapi.json`; `combipat openapi` prints it for `docs/openapi.json`.

use crate::state::AppState;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "combipat",
        description = "Canale scritto tra patronati e sedi INPS (CRM Patronati – Scrivi alla sede). \
            Errors are application/problem+json with a stable `code`; commands answer with the \
            global `position` to pass as `min_position` for read-your-writes.",
    ),
    paths(
        crate::routes::requests::create_request,
        crate::routes::check::check_request,
        crate::routes::requests::add_attachment,
        crate::routes::requests::remove_attachment,
        crate::routes::requests::take_in_charge,
        crate::routes::requests::reply_to_request,
        crate::routes::requests::send_message,
        crate::routes::requests::send_sollecito,
        crate::routes::requests::forward_request,
        crate::routes::requests::enable_appointment,
        crate::routes::requests::close_conversation,
        crate::routes::uploads::upload_file,
        crate::routes::queries::list_requests,
        crate::routes::queries::get_request,
        crate::routes::queries::get_request_timeline,
        crate::routes::queries::download_attachment,
        crate::routes::queries::list_recent_replies,
        crate::routes::queries::list_sede_inbox,
        crate::routes::sede_inbox::get_inbox_counts,
        crate::routes::reference::search_citizens,
        crate::routes::reference::list_topics,
        crate::routes::reference::list_sedi,
        crate::routes::reference::suggest_destination,
        crate::routes::places::list_regions,
        crate::routes::places::list_provinces,
        crate::routes::places::list_municipalities,
        crate::routes::places::list_citizen_sedi,
        crate::routes::bookings::get_booking_by_code,
        crate::routes::codice_fiscale::validate_codice_fiscale,
        crate::routes::admin::get_clock,
        crate::routes::clock::get_service_clock,
        crate::routes::admin::set_clock,
        crate::routes::statistics::get_statistics,
        crate::routes::statistics::export_statistics,
        crate::routes::statistics::get_regional_totals,
        crate::routes::audit::list_stream_events,
        crate::routes::audit::list_audit_events,
        crate::routes::audit::export_audit_events,
        crate::routes::audit::get_request_state_as_of,
        crate::routes::audit::verify_hash_chain,
        crate::routes::access_log::list_personal_data_reads,
        crate::routes::privacy::erase_subject,
        crate::routes::subject_copy::get_subject_copy,
        crate::routes::summary::get_printable_summary,
        crate::routes::bookings::list_counters,
        crate::routes::bookings::get_counter_calendar,
        crate::routes::bookings::list_free_slots,
        crate::routes::bookings::hold_slot,
        crate::routes::bookings::confirm_booking,
        crate::routes::bookings::cancel_booking,
        crate::routes::bookings::list_my_bookings,
        crate::routes::bookings::get_booking_ics,
        crate::routes::bookings::book_request_appointment,
        crate::routes::bookings::cancel_request_appointment,
        crate::routes::bookings::get_sede_calendar,
        crate::routes::bookings::declare_closure,
        crate::routes::bookings::withdraw_closure,
        crate::routes::bookings::publish_notice,
        crate::routes::bookings::withdraw_notice,
        crate::routes::bookings::list_sede_bookings,
        crate::routes::bookings::get_queue_status,
        crate::routes::bookings::issue_ticket,
        crate::routes::bookings::call_next_ticket,
        crate::routes::bookings::serve_ticket,
        crate::routes::bookings::skip_ticket,
        crate::routes::session::get_me,
        crate::routes::session::choose_profile,
        crate::routes::session::create_download_link,
        crate::routes::session::list_demo_users,
        crate::routes::session::create_demo_session,
        crate::routes::config::get_config,
        crate::routes::notifications::list_notifications,
        crate::routes::notifications::get_unread_count,
        crate::routes::notifications::mark_notifications_read,
        crate::routes::notifications::get_notification_preferences,
        crate::routes::notifications::set_notification_preferences,
        crate::routes::notifications::list_dead_letters,
        crate::routes::notifications::retry_dead_letter,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "requests", description = "Richieste dei patronati"),
        (name = "sede", description = "Lavorazione delle richieste da parte della sede"),
        (name = "attachments", description = "Allegati"),
        (name = "queries", description = "Storico, dettaglio, pannello home, inbox"),
        (name = "reference", description = "Dati di riferimento"),
        (name = "places", description = "Ricerca sede per i cittadini: regioni, province, comuni, sedi (pubblico, limitato per indirizzo)"),
        (name = "admin", description = "Orologio manuale (demo e test)"),
        (name = "statistics", description = "Statistiche e monitoraggio (SPEC §2.7)"),
        (name = "audit", description = "Audit: log degli eventi, stato a una data, verifica della catena di hash"),
        (name = "privacy", description = "Dati personali: cancellazione di un interessato (GDPR art. 17)"),
        (name = "bookings", description = "Sportelli di Sede: calendario, prenotazioni, avvisi, coda (SPEC §4)"),
        (name = "notifications", description = "Notifiche: elenco, non lette, preferenze e-mail, messaggi non recapitati"),
        (name = "session", description = "Chi sono, scelta del profilo, accesso dimostrativo, collegamenti firmati per i download"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The document as served: the annotations' one, with the shared answers,
/// problem+json errors and closed value sets of `openapi_honest`.
pub fn document() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the document serialises");
    crate::openapi_honest::patch(&mut doc);
    doc
}

pub fn router() -> Router<AppState> {
    // Built once: the document does not change while the process runs.
    let doc = std::sync::Arc::new(document());
    Router::new().route(
        "/api/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { Json((*doc).clone()) }
        }),
    )
}
