//! The synthetic world of the benchmarks: citizens, sedi and topics from the
//! loaded reference data, patronati/offices/operators made up here, and
//! realistic request lifecycles built from the domain's own event types
//! (`domain::request::RequestEvent`), so every generated event decodes and
//! projects exactly like one written by the command handlers.

use crate::util::Result;
use chrono::{DateTime, Duration, Utc};
use domain::actor::PatronatoRole;
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::{
    Cap, OfficeId, PatronatoId, ProtocolNumber, RequestId, SedeCode, TopicCode, UserId,
};
use domain::request::{CitizenRecord, RequestEvent, RequestSent, Requester, Routing};
use domain::time::rome_year;
use rand::rngs::StdRng;
use rand::Rng;
use sqlx::PgPool;
use std::collections::HashMap;
use store::Metadata;

pub const PATRONATI: &[&str] = &[
    "INCA", "ACLI", "INAS", "ITAL", "EPACA", "ENAPA", "INAPI", "EPASA",
];
pub const OFFICES_PER_PATRONATO: usize = 25;
pub const OPERATORS_PER_OFFICE: usize = 8;
pub const OFFICERS_PER_SEDE: usize = 4;

#[derive(Debug, Clone)]
pub struct Office {
    pub patronato: PatronatoId,
    pub office: OfficeId,
    pub operators: Vec<UserId>,
}

pub struct World {
    pub citizens: Vec<CitizenRecord>,
    /// Sedi that receive requests (filiali, agenzie, direzioni provinciali).
    pub sedi: Vec<SedeCode>,
    pub topic: (TopicCode, String),
    pub subtopics: Vec<(TopicCode, String)>,
    pub offices: Vec<Office>,
    /// Protocol counters per (sede, year), as the generator allocates them.
    pub counters: HashMap<(String, i32), u32>,
}

const SENTENCES: &[&str] = &[
    "Il cittadino chiede quali requisiti contributivi servono per accedere alla prestazione dopo un contratto a termine.",
    "Si chiede lo stato di lavorazione della domanda presentata tramite il patronato il mese scorso.",
    "La cittadina riferisce di non aver ricevuto il pagamento della mensilità di competenza.",
    "Si allega la documentazione reddituale aggiornata e si chiede di verificare l'ISEE utilizzato.",
    "Il lavoratore ha cessato il rapporto di lavoro per dimissioni per giusta causa e chiede chiarimenti.",
    "Si segnala una possibile incongruenza nell'estratto conto contributivo per gli anni dal 1998 al 2003.",
    "Il richiedente è residente all'estero e chiede quale sede sia competente per la sua posizione.",
    "Si chiede di conoscere i tempi previsti per la definizione della pratica e gli eventuali documenti mancanti.",
    "La domanda risulta respinta per mancanza di requisiti, ma il cittadino ritiene di averli maturati.",
    "Si chiede conferma dell'importo spettante e della decorrenza indicata nel provvedimento.",
    "Il nucleo familiare è cambiato dopo la nascita del secondo figlio: si chiede come aggiornare la domanda.",
    "Si richiede un appuntamento per chiarire la posizione assicurativa relativa al servizio militare.",
];

const REPLIES: &[&str] = &[
    "La pratica è in fase di liquidazione: il primo rateo sarà disposto entro 30 giorni.",
    "Si comunica che la domanda è stata accolta; il provvedimento è disponibile nel fascicolo previdenziale.",
    "Per completare l'istruttoria occorre trasmettere la dichiarazione dei redditi dell'anno precedente.",
    "I requisiti risultano soddisfatti; la prestazione decorre dal primo giorno del mese successivo.",
    "La posizione è stata verificata e l'estratto conto è stato rettificato per i periodi segnalati.",
];

impl World {
    /// Reads the reference data already loaded in `pool` (`reference::load_all`).
    pub async fn load(pool: &PgPool) -> Result<World> {
        #[allow(clippy::type_complexity)]
        let rows: Vec<(
            String,
            String,
            String,
            chrono::NaiveDate,
            Option<String>,
            String,
        )> = sqlx::query_as(
            "SELECT codice_fiscale, surname, name, birth_date, birth_place, cap \
                 FROM ref_citizens ORDER BY codice_fiscale",
        )
        .fetch_all(pool)
        .await?;
        let mut citizens = Vec::with_capacity(rows.len());
        for (cf, surname, name, birth_date, birth_place, cap) in rows {
            let (Ok(codice_fiscale), Ok(cap)) = (CodiceFiscale::parse(&cf), Cap::parse(&cap))
            else {
                continue;
            };
            citizens.push(CitizenRecord {
                codice_fiscale: codice_fiscale.into(),
                surname,
                name,
                birth_date: birth_date.into(),
                birth_place,
                cap,
            });
        }
        let sedi: Vec<String> = sqlx::query_scalar(
            "SELECT code FROM ref_sedi WHERE active \
             AND kind IN ('filiale', 'agenzia', 'direzione_provinciale') ORDER BY code",
        )
        .fetch_all(pool)
        .await?;
        let sedi: Vec<SedeCode> = sedi
            .iter()
            .filter_map(|s| SedeCode::parse(s).ok())
            .collect();
        let (topic_code, topic_label): (String, String) =
            sqlx::query_as("SELECT code, label FROM ref_topics WHERE code = 'requisiti_accesso'")
                .fetch_one(pool)
                .await?;
        let subs: Vec<(String, String)> = sqlx::query_as(
            "SELECT code, label FROM ref_subtopics WHERE topic_code = 'requisiti_accesso' ORDER BY position",
        )
        .fetch_all(pool)
        .await?;
        if citizens.is_empty() || sedi.is_empty() {
            return Err("reference data not loaded (no citizens or sedi)".into());
        }
        let mut offices = Vec::new();
        for p in PATRONATI {
            for o in 0..OFFICES_PER_PATRONATO {
                let office = format!("{p}-B{o:02}");
                offices.push(Office {
                    patronato: PatronatoId::parse(p)?,
                    office: OfficeId::parse(&office)?,
                    operators: (0..OPERATORS_PER_OFFICE)
                        .map(|k| UserId::parse(&format!("op.{}.{k}", office.to_lowercase())))
                        .collect::<std::result::Result<_, _>>()?,
                });
            }
        }
        Ok(World {
            citizens,
            sedi,
            topic: (TopicCode::parse(&topic_code)?, topic_label),
            subtopics: subs
                .into_iter()
                .filter_map(|(c, l)| TopicCode::parse(&c).ok().map(|c| (c, l)))
                .collect(),
            offices,
            counters: HashMap::new(),
        })
    }

    pub fn officer(sede: &SedeCode, k: usize) -> UserId {
        UserId::parse(&format!("uff.{}.{k}", sede.as_str())).expect("officer id")
    }

    fn next_protocol(&mut self, sede: &SedeCode, at: DateTime<Utc>) -> ProtocolNumber {
        let year = rome_year(at);
        let n = self
            .counters
            .entry((sede.as_str().to_string(), year))
            .or_insert(0);
        *n += 1;
        ProtocolNumber::new(sede, year, *n)
    }

    /// A `RequestSent` as the create handler would write it.
    pub fn request_sent(
        &mut self,
        rng: &mut StdRng,
        id: RequestId,
        at: DateTime<Utc>,
    ) -> (RequestSent, Metadata) {
        let office = self.offices[rng.gen_range(0..self.offices.len())].clone();
        let by = office.operators[rng.gen_range(0..office.operators.len())].clone();
        let citizen = self.citizens[rng.gen_range(0..self.citizens.len())].clone();
        let destination = self.sedi[rng.gen_range(0..self.sedi.len())].clone();
        let (subtopic, subtopic_label) = if self.subtopics.is_empty() {
            (None, None)
        } else {
            let (c, l) = &self.subtopics[rng.gen_range(0..self.subtopics.len())];
            (Some(c.clone()), Some(l.clone()))
        };
        let sentences = rng.gen_range(2..=4);
        let text = (0..sentences)
            .map(|_| SENTENCES[rng.gen_range(0..SENTENCES.len())])
            .collect::<Vec<_>>()
            .join(" ");
        let notes = rng
            .gen_bool(0.3)
            .then(|| "Il cittadino è disponibile a integrare la documentazione.".to_string());
        let protocol = self.next_protocol(&destination, at);
        let sent = RequestSent {
            request_id: id,
            protocol,
            requester: Requester::Citizen(citizen),
            mandate_declared: true,
            topic: self.topic.0.clone(),
            topic_label: self.topic.1.clone(),
            subtopic,
            subtopic_label,
            practice_ref: None,
            text,
            notes,
            attachments: vec![],
            by: by.clone(),
            by_role: PatronatoRole::Operator,
            patronato: office.patronato.clone(),
            office: office.office.clone(),
            destination,
            routing: Routing::Suggested,
            copied_from: None,
            at,
        };
        let meta = metadata_patronato(rng, &by, &office, "create_request");
        (sent, meta)
    }

    /// A whole request's life from `t0`, events after `now` left out: sending,
    /// maybe a forward, taking in charge, a reply, a follow-up and its reply,
    /// a sollecito when no reply came in 15 days, closing.
    pub fn lifecycle(
        &mut self,
        rng: &mut StdRng,
        id: RequestId,
        t0: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<(RequestEvent, Metadata)> {
        let (sent, meta) = self.request_sent(rng, id, t0);
        let by = sent.by.clone();
        let office = Office {
            patronato: sent.patronato.clone(),
            office: sent.office.clone(),
            operators: vec![],
        };
        let mut sede = sent.destination.clone();
        let mut out = vec![(RequestEvent::RequestSent(Box::new(sent)), meta)];
        let mut t = t0;
        let mut step = |rng: &mut StdRng, min_h: i64, max_h: i64| {
            t += Duration::minutes(rng.gen_range(min_h * 60..=max_h * 60));
            t
        };
        // A forward to another sede before anyone takes it in charge.
        if rng.gen_bool(0.05) {
            let at = step(rng, 2, 72);
            if at > now {
                return out;
            }
            let to = self.sedi[rng.gen_range(0..self.sedi.len())].clone();
            if to != sede {
                let officer = Self::officer(&sede, rng.gen_range(0..OFFICERS_PER_SEDE));
                let meta = metadata_sede(rng, &officer, &sede, "forward");
                out.push((
                    RequestEvent::ForwardedToSede {
                        by: officer,
                        from: sede.clone(),
                        to: to.clone(),
                        reason: "Competenza territoriale di altra sede".into(),
                        at,
                    },
                    meta,
                ));
                sede = to;
            }
        }
        let officer = Self::officer(&sede, rng.gen_range(0..OFFICERS_PER_SEDE));
        let answered = rng.gen_bool(0.8);
        if rng.gen_bool(0.85) {
            let at = step(rng, 1, 120);
            if at > now {
                return out;
            }
            let meta = metadata_sede(rng, &officer, &sede, "take_in_charge");
            out.push((
                RequestEvent::TakenInCharge {
                    by: officer.clone(),
                    sede: sede.clone(),
                    at,
                },
                meta,
            ));
        }
        if !answered {
            // No reply: a sollecito once 15 days have passed.
            let at = t0 + Duration::days(15) + Duration::hours(rng.gen_range(1..120));
            if rng.gen_bool(0.5) && at <= now {
                let meta = metadata_patronato(rng, &by, &office, "send_sollecito");
                out.push((
                    RequestEvent::SollecitoSent {
                        by: by.clone(),
                        number: 1,
                        at,
                    },
                    meta,
                ));
            }
            return out;
        }
        let at = step(rng, 2, 14 * 24);
        if at > now {
            return out;
        }
        let reply = |rng: &mut StdRng, at| {
            (
                RequestEvent::ReplyReceived {
                    by: officer.clone(),
                    sede: sede.clone(),
                    text: REPLIES[rng.gen_range(0..REPLIES.len())].to_string(),
                    attachments: vec![],
                    at,
                },
                metadata_sede(rng, &officer, &sede, "reply"),
            )
        };
        out.push(reply(rng, at));
        if rng.gen_bool(0.25) {
            let at = step(rng, 1, 96);
            if at > now {
                return out;
            }
            let meta = metadata_patronato(rng, &by, &office, "send_message");
            out.push((
                RequestEvent::MessageSent {
                    by: by.clone(),
                    text: "Si chiede un'ulteriore precisazione sulla decorrenza indicata.".into(),
                    attachments: vec![],
                    interaction: 1,
                    at,
                },
                meta,
            ));
            let at = step(rng, 2, 7 * 24);
            if at > now || rng.gen_bool(0.3) {
                return out;
            }
            out.push(reply(rng, at));
        }
        if rng.gen_bool(0.6) {
            let at = step(rng, 1, 72);
            if at > now {
                return out;
            }
            let meta = metadata_sede(rng, &officer, &sede, "close");
            out.push((
                RequestEvent::ConversationClosed {
                    by: officer.clone(),
                    sede: sede.clone(),
                    note: None,
                    at,
                },
                meta,
            ));
        }
        out
    }
}

fn metadata_patronato(rng: &mut StdRng, by: &UserId, office: &Office, command: &str) -> Metadata {
    Metadata {
        actor_id: by.to_string(),
        actor_role: "operator".into(),
        patronato: Some(office.patronato.to_string()),
        office: Some(office.office.to_string()),
        sede: None,
        command: command.into(),
        correlation_id: uuid::Uuid::from_u128(rng.gen()),
        causation_id: None,
        idempotency_key: None,
    }
}

fn metadata_sede(rng: &mut StdRng, by: &UserId, sede: &SedeCode, command: &str) -> Metadata {
    Metadata {
        actor_id: by.to_string(),
        actor_role: "sede_officer".into(),
        patronato: None,
        office: None,
        sede: Some(sede.to_string()),
        command: command.into(),
        correlation_id: uuid::Uuid::from_u128(rng.gen()),
        causation_id: None,
        idempotency_key: None,
    }
}

/// A time-ordered (UUIDv7) request id at `at`, reproducible from the seed.
pub fn request_id(rng: &mut StdRng, at: DateTime<Utc>) -> RequestId {
    let random: [u8; 10] = rng.gen();
    RequestId(
        uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis() as u64, &random)
            .into_uuid(),
    )
}
