//! Demo requests for `make run`, made through the real command handlers (so
//! they are real events). Idempotent: every command carries a fixed
//! idempotency key, so a second run replays instead of duplicating.

use commands::ports::EachLookupAlone;
use commands::privacy::seal::Sealer;
use commands::requests::{
    CommandContext, CommandOutcome, CreateRequestInput, IdempotencyKey, RequestAction,
    RequestService,
};
use domain::actor::{Actor, PatronatoRole, PatronatoUser, SedeOfficer};
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::{
    OfficeId, PatronatoId, PracticeRef, PracticeRefKind, RegionCode, SedeCode, TopicCode, UserId,
};
use reference::{PgCitizenRegistry, PgPracticeRegistry, PgSedeDirectory, PgTopicCatalogue};
use sqlx::PgPool;
use std::sync::Arc;

fn patronato_user(
    id: &str,
    role: PatronatoRole,
    patronato: &str,
    office: &str,
    region: Option<&str>,
) -> Actor {
    Actor::Patronato(PatronatoUser {
        id: UserId::parse(id).expect("demo id"),
        role,
        patronato: PatronatoId::parse(patronato).expect("demo patronato"),
        office: OfficeId::parse(office).expect("demo office"),
        region: region.map(|r| RegionCode::parse(r).expect("demo region")),
    })
}

fn officer(id: &str, sede: &str) -> Actor {
    Actor::Sede(SedeOfficer {
        id: UserId::parse(id).expect("demo id"),
        sede: SedeCode::parse(sede).expect("demo sede"),
    })
}

fn ctx(actor: &Actor, key: &str) -> CommandContext {
    CommandContext {
        actor: actor.clone(),
        now: chrono::Utc::now(),
        correlation_id: uuid::Uuid::now_v7(),
        idempotency: Some(IdempotencyKey {
            key: format!("demo-{key}"),
            fingerprint: format!("demo-{key}").into_bytes(),
        }),
    }
}

fn cf(code: &str) -> Option<CodiceFiscale> {
    Some(CodiceFiscale::parse(code).expect("demo codice fiscale"))
}

fn topic(code: &str) -> Option<TopicCode> {
    Some(TopicCode::parse(code).expect("demo topic"))
}

/// Creates the demo requests (see README "Demo data"); returns how many exist.
/// Their personal fields are sealed by `sealer`, as the server's are.
pub async fn seed(
    pool: &PgPool,
    sealer: Sealer,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let service = RequestService::new(
        pool.clone(),
        Arc::new(PgCitizenRegistry::new(pool.clone())),
        Arc::new(PgPracticeRegistry::new(pool.clone())),
        Arc::new(PgSedeDirectory::new(pool.clone())),
        Arc::new(PgTopicCatalogue::new(pool.clone())),
        Arc::new(EachLookupAlone),
    )
    .with_sealer(sealer);
    let rossi = patronato_user(
        "op.rossi",
        PatronatoRole::Operator,
        "INCA",
        "INCA-RM01",
        None,
    );
    let galli = patronato_user(
        "op.galli",
        PatronatoRole::Operator,
        "ACLI",
        "ACLI-MI01",
        None,
    );
    let referent = patronato_user(
        "ref.lazio",
        PatronatoRole::RegionalReferent,
        "INCA",
        "INCA-LAZ",
        Some("LAZ"),
    );
    let bianchi = officer("uff.bianchi", "3201");
    let mut made: Vec<CommandOutcome> = Vec::new();

    // 1. Just sent: Mario Rossi asks about NASpI requirements.
    made.push(
        service
            .create(
                &ctx(&rossi, "1"),
                CreateRequestInput {
                    codice_fiscale: cf("RSSMRA60E12H501E"),
                    mandate_declared: true,
                    topic: topic("requisiti_accesso"),
                    subtopic: topic("naspi"),
                    text: Some("Il cittadino chiede quali requisiti contributivi servono per la NASpI dopo un contratto a termine.".into()),
                    ..Default::default()
                },
            )
            .await?,
    );

    // 2. Answered: Anna Bianchi's pension, taken in charge and replied to by the sede.
    let anna = service
        .create(
            &ctx(&rossi, "2"),
            CreateRequestInput {
                codice_fiscale: cf("BNCNNA52S63H501H"),
                mandate_declared: true,
                topic: topic("prestazione_in_corso"),
                subtopic: topic("pensione_vecchiaia"),
                practice_ref: Some(PracticeRef::parse(PracticeRefKind::Pensione, "VO-3201-00123456")?),
                text: Some("La pensione di vecchiaia risulta in liquidazione da tre mesi: si chiede lo stato della pratica.".into()),
                notes: Some("La cittadina è disponibile a integrare documenti.".into()),
                ..Default::default()
            },
        )
        .await?;
    let id = anna.request_id;
    made.push(anna);
    service
        .execute(&ctx(&bianchi, "2-charge"), id, RequestAction::TakeInCharge)
        .await?;
    service
        .execute(
            &ctx(&bianchi, "2-reply"),
            id,
            RequestAction::Reply {
                text: "La pratica è in fase di liquidazione: il primo rateo sarà disposto entro 30 giorni.".into(),
                uploads: vec![],
            },
        )
        .await?;

    // 3. Another patronato office (Milano), invisible to INCA operators.
    made.push(
        service
            .create(
                &ctx(&galli, "3"),
                CreateRequestInput {
                    codice_fiscale: cf("CLMFNC81L70F205M"),
                    mandate_declared: true,
                    topic: topic("requisiti_accesso"),
                    subtopic: topic("assegno_unico"),
                    text: Some(
                        "Richiesta di chiarimenti sui requisiti ISEE per l'Assegno Unico.".into(),
                    ),
                    ..Default::default()
                },
            )
            .await?,
    );

    // 4. A regional referent's own question, routed to the CRIC of Lazio.
    made.push(
        service
            .create(
                &ctx(&referent, "4"),
                CreateRequestInput {
                    mandate_declared: false,
                    topic: topic("chiarimento_normativo"),
                    text: Some("Si chiede un chiarimento sull'applicazione della circolare più recente in materia di ADI.".into()),
                    ..Default::default()
                },
            )
            .await?,
    );
    for m in &made {
        println!(
            "  demo request {} protocol {}{}",
            m.request_id,
            m.protocol.as_deref().unwrap_or("-"),
            if m.replayed { " (already there)" } else { "" }
        );
    }
    Ok(made.len())
}
