//! Deterministic synthetic package-lock.json (lockfileVersion 3) for benchmarks.

/// A deterministic xorshift, so every run parses the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A lockfile of `packages` entries; the same bytes on every run.
pub(crate) fn synthetic_package_lock(packages: usize) -> String {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let name =
        |i: usize| if i.is_multiple_of(7) { format!("@scope{}/pkg-{i}", i % 13) } else { format!("pkg-{i}") };
    let mut out = String::with_capacity(packages * 420);
    out.push_str("{\n  \"name\": \"synthetic\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n");
    out.push_str("    \"\": {\n      \"name\": \"synthetic\",\n      \"version\": \"1.0.0\",\n      \"dependencies\": {\n");
    let direct = packages.min(50);
    for i in 0..direct {
        let sep = if i + 1 == direct { "" } else { "," };
        out.push_str(&format!("        \"{}\": \"^1.0.0\"{sep}\n", name(i)));
    }
    out.push_str("      }\n    }");
    for i in 0..packages {
        let n = name(i);
        let path = if i % 20 == 19 {
            format!("node_modules/{}/node_modules/{n}", name(i - 1))
        } else {
            format!("node_modules/{n}")
        };
        let short = n.rsplit('/').next().unwrap_or(&n);
        let mut integrity = String::new();
        for _ in 0..11 {
            integrity.push_str(&format!("{:016x}", rng.next()));
        }
        out.push_str(&format!(
            ",\n    \"{path}\": {{\n      \"version\": \"1.{}.{}\",\n      \"resolved\": \"https://registry.npmjs.org/{n}/-/{short}-1.{}.{}.tgz\",\n      \"integrity\": \"sha512-{}==\",\n",
            i % 10, i % 7, i % 10, i % 7, &integrity[..86]
        ));
        if i % 10 == 3 {
            out.push_str("      \"dev\": true,\n");
        }
        let deps: Vec<usize> = (1..=3).map(|k| (i * 31 + k * 17) % packages).filter(|&d| d != i).collect();
        out.push_str("      \"dependencies\": {\n");
        for (k, d) in deps.iter().enumerate() {
            let sep = if k + 1 == deps.len() { "" } else { "," };
            out.push_str(&format!("        \"{}\": \"^1.0.0\"{sep}\n", name(*d)));
        }
        out.push_str("      }\n    }");
    }
    out.push_str("\n  }\n}\n");
    out
}
