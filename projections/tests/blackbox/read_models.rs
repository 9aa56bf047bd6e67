//! The read models: summary and timeline against the aggregate, history
//! filters and keyset pagination, inbox buckets, recent replies.

use crate::common::*;
use chrono::{Duration, NaiveDate};
use domain::actor::Side;
use domain::ids::{OfficeId, PatronatoId, ProtocolNumber, RequestId};
use domain::request::{Request, RequestEvent, Status};
use projections::home_panel::{list_recent_replies, HomePanelProjection, RecentRepliesQuery};
use projections::requests::{
    get_attachment, get_summary, get_timeline, inbox_counts, list_attachments, list_history,
    list_inbox, HistoryQuery, HistoryScope, InboxBucket, InboxQuery, RequestFilters,
    RequestsProjection, SEARCH_WINDOW,
};
use projections::{run_until_idle, Cursor, Projection, TimeRange};
use sqlx::PgPool;
use std::collections::HashSet;
use uuid::Uuid;

async fn project(pool: &PgPool) {
    run_until_idle(pool, &RequestsProjection).await.unwrap();
    run_until_idle(pool, &HomePanelProjection).await.unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn summary_timeline_and_attachments_follow_the_conversation(pool: PgPool) {
    let first = attachment("domanda.pdf");
    let spec = Spec {
        attachments: vec![first.clone()],
        ..Spec::default()
    };
    let extra = attachment("isee.pdf");
    let from_sede = attachment("risposta.pdf");
    let events = vec![
        sent(&spec),
        RequestEvent::AttachmentAdded {
            attachment: extra.clone(),
            by: user("op1"),
            side: Side::Patronato,
            at: day(1),
        },
        taken("officer1", "ROMA01", day(2)),
        RequestEvent::ReplyReceived {
            by: user("officer1"),
            sede: sede("ROMA01"),
            text: "Serve l'ISEE aggiornato.".into(),
            attachments: vec![from_sede.clone()],
            at: day(3),
        },
        RequestEvent::AttachmentRemoved {
            attachment_id: extra.id,
            by: user("op1"),
            at: day(4),
        },
        RequestEvent::MessageSent {
            by: user("op1"),
            text: "Ecco l'ISEE.".into(),
            attachments: vec![],
            interaction: 1,
            at: day(5),
        },
        RequestEvent::SollecitoSent {
            by: user("op1"),
            number: 1,
            at: day(21),
        },
        forwarded("ROMA01", "MILA01", day(22)),
        RequestEvent::AppointmentEnabled {
            by: user("officer2"),
            sede: sede("MILA01"),
            at: day(23),
        },
    ];
    let a = append_events(&pool, spec.id, &events).await;
    project(&pool).await;

    let row = get_summary(&pool, spec.id.0).await.unwrap().unwrap();
    let aggregate = Request::from_events(&events);
    assert_eq!(row.status(), aggregate.status);
    assert_eq!(row.status, "inoltrata_ad_altra_sede");
    assert_eq!(row.current_sede, "MILA01");
    assert_eq!(row.origin_sede, "ROMA01");
    assert_eq!(row.in_charge_by, None);
    assert_eq!(row.replies, aggregate.replies as i32);
    assert_eq!(row.first_reply_at, aggregate.first_reply_at);
    assert_eq!(row.awaiting_reply_since, aggregate.awaiting_reply_since);
    assert_eq!(row.awaiting_reply_since, Some(day(5)));
    assert_eq!(row.interactions_used, 1);
    assert_eq!(row.solleciti, 1);
    assert_eq!(row.last_sollecito_at, Some(day(21)));
    assert!(row.appointment_enabled);
    assert_eq!(row.forwards, 1);
    assert_eq!(
        row.attachments_count as usize,
        aggregate.attachments.iter().filter(|a| !a.removed).count()
    );
    assert_eq!(row.attachments_count, 2);
    assert_eq!(row.subject, "Prestazione in corso o respinta – NASpI");
    assert_eq!(row.codice_fiscale.as_deref(), Some(CF));
    assert_eq!(row.requester_kind, "citizen");
    assert_eq!(row.created_by_role, "operator");
    assert_eq!(row.practice_ref_kind.as_deref(), Some("protocollo"));
    assert_eq!(row.version, 9);
    assert_eq!(row.last_position, a.last_position);
    assert_eq!(row.sent_at, t0());
    assert_eq!(row.last_activity_at, day(23));

    let timeline = get_timeline(&pool, spec.id.0).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "sent",
            "attachment_added",
            "taken_in_charge",
            "reply",
            "attachment_removed",
            "message",
            "sollecito",
            "forwarded",
            "appointment_enabled"
        ]
    );
    assert_eq!(timeline[0].attachments.0[0].id, first.id.0);
    assert_eq!(timeline[0].details["protocol"], row.protocol);
    assert_eq!(
        timeline[3].text.as_deref(),
        Some("Serve l'ISEE aggiornato.")
    );
    assert_eq!(timeline[3].side, "sede");
    assert_eq!(timeline[4].attachments.0[0].filename, "isee.pdf");
    assert_eq!(timeline[5].details["interaction"], 1);
    assert_eq!(timeline[6].details["number"], 1);
    // The sede a patronato event went to: where the request was then.
    assert_eq!(timeline[6].sede.as_deref(), Some("ROMA01"));
    assert_eq!(timeline[7].details["to"], "MILA01");
    assert_eq!(timeline[7].sede.as_deref(), Some("ROMA01"));
    assert_eq!(timeline[8].sede.as_deref(), Some("MILA01"));

    let attachments = list_attachments(&pool, spec.id.0).await.unwrap();
    let names: Vec<(&str, bool)> = attachments
        .iter()
        .map(|a| (a.filename.as_str(), a.is_removed()))
        .collect();
    assert_eq!(
        names,
        [
            ("domanda.pdf", false),
            ("isee.pdf", true),
            ("risposta.pdf", false)
        ]
    );
    assert_eq!(attachments[2].side, "sede");
    let one = get_attachment(&pool, spec.id.0, from_sede.id.0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.added_by, "officer1");
    assert!(get_attachment(&pool, RequestId::new().0, from_sede.id.0)
        .await
        .unwrap()
        .is_none());

    // Closing keeps the status closed whatever comes after.
    append_events(
        &pool,
        spec.id,
        &[
            closed("MILA01", day(24)),
            RequestEvent::SollecitoSent {
                by: user("op1"),
                number: 2,
                at: day(40),
            },
        ],
    )
    .await;
    project(&pool).await;
    let row = get_summary(&pool, spec.id.0).await.unwrap().unwrap();
    assert_eq!(row.status(), Some(Status::Chiusa));
    assert_eq!(row.closed_at, Some(day(24)));
    assert_eq!(row.solleciti, 2);
}

/// An attachment added on day 1 and removed five minutes later.
fn added_then_removed(extra: &domain::request::AttachmentRef) -> [RequestEvent; 2] {
    [
        RequestEvent::AttachmentAdded {
            attachment: extra.clone(),
            by: user("op1"),
            side: Side::Patronato,
            at: day(1),
        },
        RequestEvent::AttachmentRemoved {
            attachment_id: extra.id,
            by: user("op1"),
            at: day(1) + Duration::minutes(5),
        },
    ]
}

/// Every row of the projection's tables, in key order.
async fn requests_tables(pool: &PgPool) -> Vec<serde_json::Value> {
    let mut rows = Vec::new();
    for (table, key) in [
        ("request_summary", "request_id"),
        ("request_timeline", "request_id, version"),
        ("request_attachments", "request_id, attachment_id"),
    ] {
        let mut part: Vec<serde_json::Value> =
            sqlx::query_scalar(&format!("SELECT to_jsonb(t) FROM {table} t ORDER BY {key}"))
                .fetch_all(pool)
                .await
                .unwrap();
        rows.append(&mut part);
    }
    rows
}

#[sqlx::test(migrations = "../migrations")]
async fn one_event_per_batch_and_one_batch_for_the_whole_log_give_the_same_rows(pool: PgPool) {
    // Attachments added and removed in one batch and across batches.
    let kept = attachment("domanda.pdf");
    let removed_later = attachment("isee.pdf");
    let spec = Spec {
        attachments: vec![kept.clone(), removed_later.clone()],
        ..Spec::default()
    };
    let extra = attachment("delega.pdf");
    let events = [
        vec![sent(&spec)],
        added_then_removed(&extra).to_vec(),
        vec![
            taken("officer1", "ROMA01", day(2)),
            forwarded("ROMA01", "MILA01", day(3)),
            RequestEvent::AttachmentRemoved {
                attachment_id: removed_later.id,
                by: user("op1"),
                at: day(4),
            },
            closed("MILA01", day(5)),
        ],
    ]
    .concat();
    let other = Spec::default();
    append_events(&pool, spec.id, &events).await;
    append_events(
        &pool,
        other.id,
        &[sent(&other), taken("officer2", "ROMA01", day(1))],
    )
    .await;

    // One event per batch, up to the log's end (an idle answer may only
    // mean that another test's transaction holds the readable horizon back).
    let applied = projections::run_until_idle_in_batches(&pool, &RequestsProjection, 1)
        .await
        .unwrap();
    assert_eq!(applied, events.len() + 2);
    let one_by_one = requests_tables(&pool).await;
    let summary = get_summary(&pool, spec.id.0).await.unwrap().unwrap();
    assert_eq!(summary.attachments_count, 1);
    assert_eq!(summary.status(), Some(Status::Chiusa));

    projections::rebuild::rebuild_with(&pool, &RequestsProjection, 10_000)
        .await
        .unwrap();
    let all_at_once = requests_tables(&pool).await;
    assert_eq!(one_by_one.len(), 1 + 1 + 7 + 2 + 3);
    assert_eq!(one_by_one, all_at_once);
}

/// The live worker skips the look-up of a request whose first event is in
/// its batch (no row can exist before it): applying the log again, one event
/// at a time and then in one batch, must still change nothing.
#[sqlx::test(migrations = "../migrations")]
async fn applying_every_event_a_second_time_changes_nothing(pool: PgPool) {
    let spec = Spec {
        attachments: vec![attachment("domanda.pdf"), attachment("isee.pdf")],
        ..Spec::default()
    };
    let extra = attachment("delega.pdf");
    append_events(
        &pool,
        spec.id,
        &[
            vec![sent(&spec)],
            added_then_removed(&extra).to_vec(),
            vec![
                taken("officer1", "ROMA01", day(2)),
                forwarded("ROMA01", "MILA01", day(3)),
                closed("MILA01", day(5)),
            ],
        ]
        .concat(),
    )
    .await;
    let other = Spec::default();
    append_events(&pool, other.id, &[sent(&other)]).await;
    project(&pool).await;
    let before = requests_tables(&pool).await;
    assert_eq!(before.len(), 2 + 7 + 3, "summaries, timeline, attachments");

    let mut tx = pool.begin().await.unwrap();
    let events = store::log::read_after(&mut *tx, store::LogPosition::START, 1_000)
        .await
        .unwrap();
    assert_eq!(events.len(), 7);
    // A request's first event alone, after its later ones: the stalest case.
    RequestsProjection.apply(&mut tx, &events[0]).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(requests_tables(&pool).await, before);

    let mut tx = pool.begin().await.unwrap();
    for event in &events {
        RequestsProjection.apply(&mut tx, event).await.unwrap();
    }
    RequestsProjection
        .apply_batch(&mut tx, &events)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(requests_tables(&pool).await, before);
}

fn office_scope() -> HistoryScope {
    HistoryScope::Office {
        patronato: PatronatoId::parse("INCA").unwrap(),
        office: OfficeId::parse("ROMA1").unwrap(),
    }
}

fn history(filters: RequestFilters) -> HistoryQuery {
    HistoryQuery {
        scope: office_scope(),
        filters,
        cursor: None,
        limit: 100,
    }
}

async fn ids(pool: &PgPool, q: &HistoryQuery) -> Vec<Uuid> {
    list_history(pool, q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.request_id)
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn history_filters_and_scopes(pool: PgPool) {
    let a = send(
        &pool,
        &Spec {
            at: day(0),
            ..Spec::default()
        },
    )
    .await;
    let b = send(
        &pool,
        &Spec {
            at: day(1),
            by: "op2",
            text: "Richiesta di chiarimento sul 50% della NASpI".into(),
            ..Spec::default()
        },
    )
    .await;
    let c = send(
        &pool,
        &Spec {
            at: day(2),
            topic_label: "Requisiti e modalità di accesso ai servizi",
            subtopic_label: None,
            citizen: false,
            by: "ref1",
            ..Spec::default()
        },
    )
    .await;
    let other_office = send(
        &pool,
        &Spec {
            office: "MILANO2",
            at: day(3),
            ..Spec::default()
        },
    )
    .await;
    let other_patronato = send(
        &pool,
        &Spec {
            patronato: "ACLI",
            at: day(3),
            ..Spec::default()
        },
    )
    .await;
    append_events(&pool, b, &[reply("ROMA01", "Fatto", day(4))]).await;
    project(&pool).await;

    // Newest first.
    assert_eq!(
        ids(&pool, &history(RequestFilters::default())).await,
        [c.0, b.0, a.0]
    );
    let mine = HistoryQuery {
        scope: HistoryScope::Mine {
            patronato: PatronatoId::parse("INCA").unwrap(),
            user: user("op1"),
        },
        ..history(RequestFilters::default())
    };
    assert_eq!(ids(&pool, &mine).await, [other_office.0, a.0]);
    let patronato = HistoryQuery {
        scope: HistoryScope::Patronato {
            patronato: PatronatoId::parse("INCA").unwrap(),
        },
        ..history(RequestFilters::default())
    };
    assert_eq!(ids(&pool, &patronato).await.len(), 4);
    assert!(!ids(&pool, &patronato).await.contains(&other_patronato.0));

    // Sent dates are Rome calendar days, both ends included.
    let first = NaiveDate::from_ymd_opt(2026, 3, 3).unwrap();
    let on_days = |from, to| {
        history(RequestFilters {
            sent: TimeRange::rome_days(from, to),
            ..RequestFilters::default()
        })
    };
    assert_eq!(ids(&pool, &on_days(Some(first), Some(first))).await, [b.0]);
    assert_eq!(ids(&pool, &on_days(Some(first), None)).await, [c.0, b.0]);
    assert_eq!(ids(&pool, &on_days(None, Some(first))).await, [b.0, a.0]);

    // Subject: case-insensitive substring of subject or text, wildcards literal.
    let subject = |s: &str| {
        history(RequestFilters {
            subject: Some(s.into()),
            ..RequestFilters::default()
        })
    };
    assert_eq!(ids(&pool, &subject("naspi")).await, [b.0, a.0]);
    assert_eq!(ids(&pool, &subject("MODALITÀ")).await, [c.0]);
    assert_eq!(ids(&pool, &subject("50%")).await, [b.0]);
    assert_eq!(ids(&pool, &subject("5_%")).await, Vec::<Uuid>::new());

    let row_a = get_summary(&pool, a.0).await.unwrap().unwrap();
    let by_protocol = history(RequestFilters {
        protocol: Some(ProtocolNumber::parse(&row_a.protocol).unwrap()),
        ..RequestFilters::default()
    });
    assert_eq!(ids(&pool, &by_protocol).await, [a.0]);
    let by_cf = history(RequestFilters {
        citizen: Some(test_pseudonym(CF)),
        ..RequestFilters::default()
    });
    assert_eq!(ids(&pool, &by_cf).await, [b.0, a.0]);
    let by_status = history(RequestFilters {
        status: Some(Status::RispostaRicevuta),
        ..RequestFilters::default()
    });
    assert_eq!(ids(&pool, &by_status).await, [b.0]);
}

/// A text search reads the newest rows of the list first, then the rest
/// through the trigram index: matches on both sides of that window come in
/// order, page after page, and nothing of another office.
#[sqlx::test(migrations = "../migrations")]
async fn a_text_search_finds_matches_past_its_first_window(pool: PgPool) {
    let total = SEARCH_WINDOW + 40;
    let rare = |i: i64| i < 3 || i == total - 1 || i == total - 300;
    let mut by_age = Vec::new();
    for i in 0..total {
        let text = if rare(i) {
            "Posizione con la parola Zq-Rara nel testo.".to_string()
        } else {
            "Domanda presentata a gennaio, nessuna notizia.".to_string()
        };
        let id = send(
            &pool,
            &Spec {
                at: t0() + Duration::minutes(i),
                text,
                ..Spec::default()
            },
        )
        .await;
        by_age.push(id.0);
    }
    // Newer than all of them, elsewhere: never in this office's list.
    send(
        &pool,
        &Spec {
            office: "MILANO2",
            at: t0() + Duration::minutes(total),
            text: "Zq-rara anche qui.".into(),
            ..Spec::default()
        },
    )
    .await;
    project(&pool).await;

    let expected: Vec<Uuid> = (0..total)
        .rev()
        .filter(|i| rare(*i))
        .map(|i| by_age[i as usize])
        .collect();
    assert_eq!(expected.len(), 5);
    let search = |cursor: Option<Cursor>| HistoryQuery {
        cursor,
        limit: 2,
        ..history(RequestFilters {
            subject: Some("zq-rara".into()),
            ..RequestFilters::default()
        })
    };
    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..10 {
        let page = list_history(&pool, &search(cursor)).await.unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|r| r.request_id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, expected, "every match, newest first, once");

    // A common word fills the page from the window: the newest rows.
    let common = HistoryQuery {
        limit: 20,
        ..history(RequestFilters {
            subject: Some("gennaio".into()),
            ..RequestFilters::default()
        })
    };
    let newest: Vec<Uuid> = (0..total)
        .rev()
        .filter(|i| !rare(*i))
        .take(20)
        .map(|i| by_age[i as usize])
        .collect();
    assert_eq!(ids(&pool, &common).await, newest);
}

/// Past the window, through the search keys, a needle finds exactly the
/// requests that PostgreSQL's `ILIKE` finds: accents, apostrophes, case
/// outside ASCII, digits, wildcards, needles cut mid-word and needles too
/// short to have keys.
#[sqlx::test(migrations = "../migrations")]
async fn a_search_through_the_keys_finds_what_ilike_finds(pool: PgPool) {
    let texts = [
        "Perché l'ISEE è scaduto?",
        "Allegata la certificazione \u{212A}elvin.",
        "İstanbul: residenza all'estero dal 2019.",
        "Pensione di vecchiaia, decorrenza 01/2025.",
        "Estratto conto contributivo 1998-2003 incompleto.",
        "Città di Napoli; età 67 anni.",
        "RDC sospeso da marzo.",
        "Rimborso del 50% richiesto.",
        "Conto corrente cambiato: IBAN IT60X0542811101000000123456.",
    ];
    for (i, text) in texts.iter().enumerate() {
        send(
            &pool,
            &Spec {
                at: t0() + Duration::minutes(i as i64),
                text: text.to_string(),
                ..Spec::default()
            },
        )
        .await;
    }
    // Newer than them all: the window holds only these.
    for i in 0..SEARCH_WINDOW {
        send(
            &pool,
            &Spec {
                at: t0() + Duration::hours(1) + Duration::minutes(i),
                ..Spec::default()
            },
        )
        .await;
    }
    project(&pool).await;

    let needles = [
        "isee è",
        "é l'is",
        "kelvin",
        "\u{212A}ELVIN",
        "istanbul",
        "İSTANBUL",
        "ensione di vecch",
        "1998-2003",
        "998-20",
        "ttà di",
        "età 67",
        "rdc",
        "dc sos",
        "50%",
        "o c",
        "di",
        "IT60X05428",
        "Estratto Conto",
        "conto contributivo 1998",
        "nessun testo così",
    ];
    let mut found_any = 0;
    for needle in needles {
        let pattern = format!(
            "%{}%",
            needle
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let expected: Vec<Uuid> = sqlx::query_scalar(
            "SELECT request_id FROM request_summary WHERE (subject || ' ' || text) ILIKE $1 \
             ORDER BY sent_at DESC, request_id DESC",
        )
        .bind(&pattern)
        .fetch_all(&pool)
        .await
        .unwrap();
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let query = HistoryQuery {
                cursor,
                ..history(RequestFilters {
                    subject: Some(needle.into()),
                    ..RequestFilters::default()
                })
            };
            let page = list_history(&pool, &query).await.unwrap();
            seen.extend(page.items.iter().map(|r| r.request_id));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, expected, "{needle:?}");
        found_any += usize::from(!expected.is_empty());
    }
    // Nearly every needle finds a request past the window (which ones
    // depends on the database's locale: under C, lower() keeps U+212A).
    assert!(found_any >= needles.len() - 3, "{found_any} needles found");
}

#[sqlx::test(migrations = "../migrations")]
async fn keyset_pages_are_stable_under_concurrent_inserts(pool: PgPool) {
    let mut present = HashSet::new();
    for i in 0..23 {
        // Pairs of requests share their instant: the id breaks the tie.
        let spec = Spec {
            at: t0() + Duration::hours(i / 2),
            ..Spec::default()
        };
        present.insert(send(&pool, &spec).await.0);
    }
    project(&pool).await;

    let mut q = HistoryQuery {
        limit: 5,
        ..history(RequestFilters::default())
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut previous: Option<(chrono::DateTime<chrono::Utc>, Uuid)> = None;
    loop {
        let page = list_history(&pool, &q).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 5);
        for r in &page.items {
            let key = (r.sent_at, r.request_id);
            assert!(previous.is_none_or(|p| key < p), "newest first, strictly");
            previous = Some(key);
            seen.push(r.request_id);
        }
        // Between pages, others send requests: newer ones, and one as old as
        // the first page (it lands on a page already read).
        for k in 0..2 {
            send(
                &pool,
                &Spec {
                    at: t0() + Duration::days(30 + pages * 2 + k),
                    ..Spec::default()
                },
            )
            .await;
        }
        send(
            &pool,
            &Spec {
                at: t0() + Duration::hours(11),
                ..Spec::default()
            },
        )
        .await;
        if pages == 1 {
            // And one older than every row: it lands on a page still to come.
            let old = Spec {
                at: t0() - Duration::hours(1),
                ..Spec::default()
            };
            present.insert(send(&pool, &old).await.0);
        }
        project(&pool).await;
        match page.next_cursor {
            Some(cursor) => {
                // Cursors travel as text.
                q.cursor = Some(cursor.encode().parse::<Cursor>().unwrap());
            }
            None => break,
        }
    }
    let unique: HashSet<Uuid> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no row on two pages");
    assert!(
        present.is_subset(&unique),
        "every row present at the start was listed"
    );
    assert_eq!(pages, 5);
    // The limit is clamped.
    q.cursor = None;
    q.limit = 0;
    assert_eq!(list_history(&pool, &q).await.unwrap().items.len(), 1);
    q.limit = 1000;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM request_summary")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(total, 23 + 5 * 3 + 1);
    assert_eq!(
        list_history(&pool, &q).await.unwrap().items.len() as i64,
        total.min(100)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn inbox_buckets_and_overdue_by_now(pool: PgPool) {
    let now = day(30);
    let at = |d: i64| now - Duration::days(d);
    let old_new = send(
        &pool,
        &Spec {
            at: at(20),
            ..Spec::default()
        },
    )
    .await;
    let fresh_new = send(
        &pool,
        &Spec {
            at: at(2),
            ..Spec::default()
        },
    )
    .await;
    let in_charge = send(
        &pool,
        &Spec {
            at: at(16),
            ..Spec::default()
        },
    )
    .await;
    append_events(&pool, in_charge, &[taken("officer1", "ROMA01", at(15))]).await;
    let replied = send(
        &pool,
        &Spec {
            at: at(25),
            ..Spec::default()
        },
    )
    .await;
    append_events(
        &pool,
        replied,
        &[
            taken("officer1", "ROMA01", at(24)),
            reply("ROMA01", "Ok", at(23)),
        ],
    )
    .await;
    let closed_one = send(
        &pool,
        &Spec {
            at: at(28),
            ..Spec::default()
        },
    )
    .await;
    append_events(&pool, closed_one, &[closed("ROMA01", at(27))]).await;
    let moved = send(
        &pool,
        &Spec {
            at: at(18),
            ..Spec::default()
        },
    )
    .await;
    append_events(&pool, moved, &[forwarded("ROMA01", "MILA01", at(17))]).await;
    project(&pool).await;

    let inbox = |sede_code: &str, bucket| InboxQuery {
        sede: sede(sede_code),
        bucket,
        filters: RequestFilters::default(),
        now,
        cursor: None,
        limit: 50,
    };
    let list = |q: InboxQuery| {
        let pool = pool.clone();
        async move {
            list_inbox(&pool, &q)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|r| (r.request.request_id, r.overdue))
                .collect::<Vec<_>>()
        }
    };
    use InboxBucket::*;
    assert_eq!(
        list(inbox("ROMA01", All)).await,
        [
            (fresh_new.0, false),
            (in_charge.0, true),
            (old_new.0, true),
            (replied.0, false),
            (closed_one.0, false)
        ]
    );
    assert_eq!(
        list(inbox("ROMA01", New)).await,
        [(fresh_new.0, false), (old_new.0, true)]
    );
    assert_eq!(
        list(inbox("ROMA01", InCharge)).await,
        [(in_charge.0, true), (replied.0, false)]
    );
    assert_eq!(
        list(inbox("ROMA01", AwaitingReply)).await,
        [(fresh_new.0, false), (in_charge.0, true), (old_new.0, true)]
    );
    assert_eq!(
        list(inbox("ROMA01", Overdue)).await,
        [(in_charge.0, true), (old_new.0, true)]
    );
    assert_eq!(list(inbox("MILA01", All)).await, [(moved.0, true)]);
    // Ten days earlier nothing was overdue.
    let earlier = InboxQuery {
        now: now - Duration::days(10),
        ..inbox("ROMA01", Overdue)
    };
    assert_eq!(list(earlier).await, []);
    // Filters apply in the inbox too.
    let filtered = InboxQuery {
        filters: RequestFilters {
            sent: TimeRange {
                from: Some(at(17)),
                to: None,
            },
            ..RequestFilters::default()
        },
        ..inbox("ROMA01", AwaitingReply)
    };
    assert_eq!(
        list(filtered).await,
        [(fresh_new.0, false), (in_charge.0, true)]
    );

    let counts = inbox_counts(&pool, &sede("ROMA01"), now).await.unwrap();
    assert_eq!(
        (
            counts.all,
            counts.new,
            counts.in_charge,
            counts.awaiting_reply,
            counts.overdue
        ),
        (5, 2, 2, 3, 2)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn recent_replies_count_and_window(pool: PgPool) {
    let now = day(10);
    let mine = send(&pool, &Spec::default()).await;
    let mine_too = send(
        &pool,
        &Spec {
            topic_label: "Sollecito domanda già presentata",
            subtopic_label: Some("Assegno Unico"),
            ..Spec::default()
        },
    )
    .await;
    let someone_elses = send(
        &pool,
        &Spec {
            by: "op2",
            ..Spec::default()
        },
    )
    .await;
    append_events(
        &pool,
        mine,
        &[
            reply("ROMA01", "Vecchia", now - Duration::days(4)),
            reply("ROMA01", &"Lunga ".repeat(100), now - Duration::hours(50)),
            reply("ROMA01", "Recente", now - Duration::hours(1)),
            reply("ROMA01", "Futura", now + Duration::hours(1)),
        ],
    )
    .await;
    append_events(
        &pool,
        mine_too,
        &[reply("ROMA01", "Ok", now - Duration::hours(20))],
    )
    .await;
    append_events(
        &pool,
        someone_elses,
        &[reply("ROMA01", "Ok", now - Duration::hours(2))],
    )
    .await;
    project(&pool).await;

    let panel = RecentRepliesQuery::panel(user("op1"), now);
    let r = list_recent_replies(&pool, &panel).await.unwrap();
    assert_eq!(r.count, 3);
    let texts: Vec<String> = r
        .page
        .items
        .iter()
        .map(|x| x.excerpt.chars().take(5).collect())
        .collect();
    assert_eq!(texts, ["Recen", "Ok", "Lunga"]);
    assert_eq!(r.page.items[2].excerpt.chars().count(), 200);
    assert_eq!(
        r.page.items[1].subject,
        "Sollecito domanda già presentata – Assegno Unico"
    );

    // Pages of one, and the count stays the window's.
    let mut q = RecentRepliesQuery {
        limit: 1,
        ..panel.clone()
    };
    let mut seen = Vec::new();
    loop {
        let r = list_recent_replies(&pool, &q).await.unwrap();
        assert_eq!(r.count, 3);
        seen.extend(r.page.items.iter().map(|x| (x.request_id, x.version)));
        match r.page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);

    // Filters.
    let on_day = RecentRepliesQuery {
        replied_on: Some((now - Duration::hours(50)).date_naive()),
        ..panel.clone()
    };
    assert_eq!(list_recent_replies(&pool, &on_day).await.unwrap().count, 1);
    let by_subject = RecentRepliesQuery {
        subject: Some("assegno".into()),
        ..panel.clone()
    };
    assert_eq!(
        list_recent_replies(&pool, &by_subject).await.unwrap().count,
        1
    );
    let protocol = get_summary(&pool, mine.0).await.unwrap().unwrap().protocol;
    let by_protocol = RecentRepliesQuery {
        protocol: Some(ProtocolNumber::parse(&protocol).unwrap()),
        ..panel.clone()
    };
    assert_eq!(
        list_recent_replies(&pool, &by_protocol)
            .await
            .unwrap()
            .count,
        2
    );
    let by_cf = RecentRepliesQuery {
        citizen: Some(test_pseudonym(CF)),
        ..panel.clone()
    };
    assert_eq!(list_recent_replies(&pool, &by_cf).await.unwrap().count, 3);
    // Later, the old replies leave the window by themselves.
    let later = RecentRepliesQuery {
        now: now + Duration::days(1),
        ..panel
    };
    assert_eq!(list_recent_replies(&pool, &later).await.unwrap().count, 3);
    let much_later = RecentRepliesQuery {
        now: now + Duration::days(5),
        ..later
    };
    assert_eq!(
        list_recent_replies(&pool, &much_later).await.unwrap().count,
        0
    );
}

/// The status machine exists once (`domain::request::StatusLine`): after
/// every event of a history that uses every event kind, the read model shows
/// the aggregate's status.
#[sqlx::test(migrations = "../migrations")]
async fn the_read_models_status_is_the_aggregates_after_every_event_kind(pool: PgPool) {
    use domain::booking::BookingId;
    let extra = attachment("isee.pdf");
    let spec = Spec::default();
    let (first, second, other) = (BookingId::new(), BookingId::new(), BookingId::new());
    let events = vec![
        sent(&spec),
        RequestEvent::AttachmentAdded {
            attachment: extra.clone(),
            by: user("op1"),
            side: Side::Patronato,
            at: day(1),
        },
        taken("officer1", "ROMA01", day(2)),
        RequestEvent::AttachmentRemoved {
            attachment_id: extra.id,
            by: user("op1"),
            at: day(2),
        },
        RequestEvent::AppointmentEnabled {
            by: user("officer1"),
            sede: sede("ROMA01"),
            at: day(2),
        },
        booked(first, day(9), day(3)),
        // Not the appointment held: nothing changes.
        cancelled(other, day(3)),
        cancelled(first, day(3)),
        reply("ROMA01", "Serve l'ISEE.", day(4)),
        booked(second, day(9), day(4)),
        // The status moves under the appointment: it does not come back.
        RequestEvent::MessageSent {
            by: user("op1"),
            text: "Ecco.".into(),
            attachments: vec![],
            interaction: 1,
            at: day(5),
        },
        cancelled(second, day(5)),
        RequestEvent::SollecitoSent {
            by: user("op1"),
            number: 1,
            at: day(21),
        },
        forwarded("ROMA01", "MILA01", day(22)),
        closed("MILA01", day(23)),
        reply("MILA01", "Dopo la chiusura.", day(24)),
        // Shown on a closed conversation, and closed again once cancelled.
        booked(first, day(30), day(24)),
        cancelled(first, day(25)),
    ];
    let kinds: HashSet<&str> = events.iter().map(|e| e.event_type()).collect();
    let every: HashSet<&str> = RequestEvent::TYPES.iter().copied().collect();
    assert_eq!(kinds, every, "the history uses every event kind");

    let mut statuses = Vec::new();
    for (i, event) in events.iter().enumerate() {
        append_events(&pool, spec.id, std::slice::from_ref(event)).await;
        run_until_idle(&pool, &RequestsProjection).await.unwrap();
        let row = get_summary(&pool, spec.id.0).await.unwrap().unwrap();
        let aggregate = Request::from_events(&events[..=i]);
        assert_eq!(
            row.status(),
            aggregate.status,
            "after {}",
            event.event_type()
        );
        statuses.push(row.status().unwrap());
    }
    // The history goes through every status.
    let seen: HashSet<Status> = statuses.into_iter().collect();
    assert_eq!(seen.len(), Status::ALL.len());
}
