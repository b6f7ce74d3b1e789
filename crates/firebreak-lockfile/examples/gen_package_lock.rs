//! Writes a synthetic package-lock.json of N packages to stdout, for whole-process
//! benchmarks: `cargo run --release -p firebreak-lockfile --example gen_package_lock -- 100000`.
#![expect(clippy::print_stdout, reason = "a generator whose output is stdout")]

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

fn main() {
    let packages = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    print!("{}", synthetic::synthetic_package_lock(packages));
}
