// `sqlx::migrate!` embeds migrations/ at compile time; without this, an
// incremental build would not see a new or changed migration file.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
