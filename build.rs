//! The migrations are embedded in the binary (`sqlx::migrate!`): rebuild when one is added or
//! edited, which Cargo would not notice on its own.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
