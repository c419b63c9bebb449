//! Rebuilds the crate when a migration is added or changed: `sqlx::migrate!` embeds them at
//! build time, and cargo does not see the directory otherwise (sqlx's documented build script).

fn main() {
    println!("cargo::rerun-if-changed=migrations");
}
