use clap::Parser;

// glibc's allocator took much of a rebuild's CPU freeing batches of small
// strings and JSON values (decision A15).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let json = std::env::var("COMBIPAT_LOG").is_ok_and(|v| v == "json");
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
    let cli = combipat_api::cli::Cli::parse();
    if let Err(e) = combipat_api::cli::run(cli).await {
        eprintln!("combipat: {e}");
        std::process::exit(1);
    }
}
