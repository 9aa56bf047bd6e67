//! The routing and topic answers kept in memory (reference::cache):
//! used while the reference generation holds, dropped the moment any change
//! to the reference tables commits.

use commands::ports::{SedeDirectory, TopicCatalogue};
use domain::ids::{Cap, SedeCode, TopicCode};
use domain::request::SedeLookup;
use reference::{
    load_from, CachedSedeDirectory, CachedTopicCatalogue, PgSedeDirectory, PgTopicCatalogue,
    ReferenceGeneration, ReferenceSource,
};
use sqlx::PgPool;
use std::path::PathBuf;

async fn loaded(pool: &PgPool) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../reference");
    load_from(pool, &ReferenceSource::new(dir, None))
        .await
        .expect("reference data loads");
}

fn cached(pool: &PgPool) -> CachedSedeDirectory<PgSedeDirectory> {
    CachedSedeDirectory::new(
        PgSedeDirectory::new(pool.clone()),
        ReferenceGeneration::new(pool.clone()),
    )
}

async fn route(sedi: &dyn SedeDirectory, cap: &str, topic: &str) -> Option<String> {
    sedi.route(
        &Cap::parse(cap).unwrap(),
        &TopicCode::parse(topic).unwrap(),
        None,
    )
    .await
    .unwrap()
    .map(|s| s.as_str().to_string())
}

async fn execute(pool: &PgPool, statement: &str) {
    sqlx::query(statement).execute(pool).await.unwrap();
}

async fn generation(pool: &PgPool) -> i64 {
    ReferenceGeneration::new(pool.clone())
        .current()
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn every_change_to_the_routing_tables_moves_the_generation(pool: PgPool) {
    loaded(&pool).await;
    for statement in [
        "UPDATE ref_sedi SET name = name WHERE code = '3201'",
        "UPDATE ref_cap_routes SET sede_code = sede_code WHERE cap_prefix = '00184'",
        "DELETE FROM ref_topic_hubs WHERE false",
        "UPDATE ref_provinces SET sede_code = sede_code WHERE sigla = 'RM'",
        "UPDATE ref_topics SET label = label WHERE code = 'naspi'",
        "UPDATE ref_subtopics SET label = label WHERE false",
        "UPDATE ref_regions SET name = name WHERE false",
        "DELETE FROM ref_municipalities WHERE false",
    ] {
        let before = generation(&pool).await;
        execute(&pool, statement).await;
        assert!(generation(&pool).await > before, "{statement}");
    }
    // A rolled-back change leaves it where it was.
    let before = generation(&pool).await;
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("UPDATE ref_sedi SET active = false WHERE code = '3201'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(generation(&pool).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_route_is_answered_from_memory_until_the_reference_data_changes(pool: PgPool) {
    loaded(&pool).await;
    let sedi = cached(&pool);
    assert_eq!(
        route(&sedi, "00184", "naspi").await.as_deref(),
        Some("3201")
    );

    // Changed behind the trigger's back: the memory still answers, which
    // shows the answer did not come from the tables.
    execute(
        &pool,
        "ALTER TABLE ref_cap_routes DISABLE TRIGGER ref_cap_routes_generation",
    )
    .await;
    execute(
        &pool,
        "UPDATE ref_cap_routes SET sede_code = '3202' WHERE '00184' LIKE cap_prefix || '%'",
    )
    .await;
    execute(
        &pool,
        "ALTER TABLE ref_cap_routes ENABLE TRIGGER ref_cap_routes_generation",
    )
    .await;
    let uncached = PgSedeDirectory::new(pool.clone());
    let fresh = route(&uncached, "00184", "naspi").await;
    assert_ne!(
        fresh.as_deref(),
        Some("3201"),
        "the tables now route elsewhere"
    );
    assert_eq!(
        route(&sedi, "00184", "naspi").await.as_deref(),
        Some("3201")
    );

    // Any counted change (here to another table) and the next look-up asks again.
    execute(&pool, "UPDATE ref_sedi SET name = name WHERE code = '3201'").await;
    assert_eq!(route(&sedi, "00184", "naspi").await, fresh);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_sede_closed_by_a_reload_is_seen_at_once(pool: PgPool) {
    loaded(&pool).await;
    let sedi = cached(&pool);
    assert_eq!(
        sedi.lookup("3201").await.unwrap(),
        SedeLookup::Active(SedeCode::parse("3201").unwrap())
    );
    execute(
        &pool,
        "UPDATE ref_sedi SET active = false WHERE code = '3201'",
    )
    .await;
    assert_eq!(
        sedi.lookup("3201").await.unwrap(),
        SedeLookup::Inactive(SedeCode::parse("3201").unwrap())
    );
    // The route of its CAP no longer leads there either.
    assert_ne!(
        route(&sedi, "00184", "naspi").await.as_deref(),
        Some("3201")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn topics_follow_the_catalogue(pool: PgPool) {
    loaded(&pool).await;
    let topics = CachedTopicCatalogue::new(
        PgTopicCatalogue::new(pool.clone()),
        ReferenceGeneration::new(pool.clone()),
    );
    let topic = TopicCode::parse("prestazione_in_corso").unwrap();
    let before = topics
        .topic(&topic)
        .await
        .unwrap()
        .expect("the topic exists");
    let all = topics.all().await.unwrap();
    assert!(all.iter().any(|t| t.code == topic));
    execute(&pool, "UPDATE ref_topics SET label = 'Prestazione in corso (nuova etichetta)' WHERE code = 'prestazione_in_corso'").await;
    let after = topics.topic(&topic).await.unwrap().unwrap();
    assert_eq!(after.label, "Prestazione in corso (nuova etichetta)");
    assert_ne!(after.label, before.label);
    let all = topics.all().await.unwrap();
    let listed = all.iter().find(|t| t.code == topic).unwrap();
    assert_eq!(listed.label, "Prestazione in corso (nuova etichetta)");
}

/// Look-ups that overlap share their reads of the generation, yet none
/// answers with a generation older than the one committed before it began:
/// here a reader keeps a read always under way while the generation moves.
#[sqlx::test(migrations = "../migrations")]
async fn shared_reads_never_answer_older_than_the_look_up(pool: PgPool) {
    loaded(&pool).await;
    let shared = ReferenceGeneration::new(pool.clone());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut busy = Vec::new();
    for _ in 0..8 {
        let (shared, stop) = (shared.clone(), stop.clone());
        busy.push(tokio::spawn(async move {
            let mut looked_up = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                shared.current().await.unwrap();
                looked_up += 1;
                // A look-up answered from memory does not suspend.
                tokio::task::yield_now().await;
            }
            looked_up
        }));
    }
    let mut stale = Vec::new();
    for _ in 0..30 {
        execute(&pool, "UPDATE ref_sedi SET name = name WHERE code = '3201'").await;
        let committed = generation(&pool).await;
        let answered = shared.current().await.unwrap();
        if answered != committed {
            stale.push((answered, committed));
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in busy {
        assert!(task.await.unwrap() > 0);
    }
    assert_eq!(stale, [], "(answered, committed before the look-up)");
}

/// A look-up abandoned while its read is under way (its client went away)
/// does not leave the others waiting for that read.
#[sqlx::test(migrations = "../migrations")]
async fn an_abandoned_look_up_does_not_block_the_others(pool: PgPool) {
    loaded(&pool).await;
    let shared = ReferenceGeneration::new(pool.clone());
    for _ in 0..20 {
        let waiting = tokio::spawn({
            let shared = shared.clone();
            async move { shared.current().await }
        });
        let _ = tokio::time::timeout(std::time::Duration::from_micros(50), shared.current()).await;
        let answered = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
            .await
            .expect("the waiting look-up is answered");
        assert!(answered.unwrap().is_ok());
    }
    let now = tokio::time::timeout(std::time::Duration::from_secs(10), shared.current())
        .await
        .expect("a later look-up is answered");
    assert_eq!(now.unwrap(), generation(&pool).await);
}

/// The look-ups of one command share a read that started after the command
/// began: a change committed before it is seen, one committed while it runs
/// need not be (it is concurrent with the command), and the next command
/// sees it.
#[sqlx::test(migrations = "../migrations")]
async fn the_look_ups_of_one_command_share_a_read_made_after_it_began(pool: PgPool) {
    loaded(&pool).await;
    let shared = ReferenceGeneration::new(pool.clone());
    let before = shared.current().await.unwrap();
    execute(&pool, "UPDATE ref_sedi SET name = name WHERE code = '3201'").await;
    let committed_before = generation(&pool).await;
    assert_ne!(committed_before, before);

    let (first, second, committed_during) = ReferenceGeneration::as_of_start(async {
        let first = shared.current().await.unwrap();
        execute(&pool, "UPDATE ref_sedi SET name = name WHERE code = '3201'").await;
        let committed_during = generation(&pool).await;
        (first, shared.current().await.unwrap(), committed_during)
    })
    .await;
    assert_eq!(
        first, committed_before,
        "a change made before the command is seen"
    );
    assert_eq!(
        second, first,
        "the command's second look-up took the first one's read"
    );
    assert_eq!(
        shared.current().await.unwrap(),
        committed_during,
        "a look-up outside the command reads afresh"
    );
}

/// Sede names for the screens: read once, then kept; a renamed sede shows
/// once the generation is read again (within `sede_names::RECHECK`).
#[sqlx::test(migrations = "../migrations")]
async fn sede_names_follow_a_rename_within_the_recheck(pool: PgPool) {
    loaded(&pool).await;
    let names = reference::SedeNames::new(pool.clone(), ReferenceGeneration::new(pool.clone()));
    let before = names.all().await.unwrap();
    let original = before.get("3201").cloned().expect("sede 3201 named");
    execute(
        &pool,
        "UPDATE ref_sedi SET name = 'Roma Centro (rinominata)' WHERE code = '3201'",
    )
    .await;
    let deadline = std::time::Instant::now() + reference::SEDE_NAMES_RECHECK * 3;
    loop {
        let now = names.all().await.unwrap();
        if now.get("3201").map(String::as_str) == Some("Roma Centro (rinominata)") {
            break;
        }
        assert_eq!(now.get("3201"), Some(&original), "old or new, nothing else");
        assert!(
            std::time::Instant::now() < deadline,
            "the rename was never seen"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
