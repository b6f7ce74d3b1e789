use crate::Ecosystem;

/// Normalises a package name the way its registry compares names, so that two
/// spellings of one package meet in the same index key.
///
/// - npm: names are compared as written (the registry refuses new mixed-case names,
///   but old ones exist), only surrounding whitespace is dropped.
/// - PyPI: PEP 503, lowercase with every run of `-`, `_` and `.` folded to `-`.
/// - crates.io: case-insensitive, `-` and `_` equivalent (the index treats them so).
/// - Go: module paths are case-sensitive and kept as written.
pub fn normalize_name(ecosystem: Ecosystem, name: &str) -> String {
    let name = name.trim();
    match ecosystem {
        Ecosystem::Npm | Ecosystem::Go => name.to_owned(),
        Ecosystem::PyPI => {
            let mut out = String::with_capacity(name.len());
            let mut in_separator = false;
            for c in name.chars() {
                if matches!(c, '-' | '_' | '.') {
                    if !in_separator {
                        out.push('-');
                    }
                    in_separator = true;
                } else {
                    out.extend(c.to_lowercase());
                    in_separator = false;
                }
            }
            out
        }
        Ecosystem::CratesIo => {
            name.chars().map(|c| if c == '_' { '-' } else { c.to_ascii_lowercase() }).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(normalize_name(Ecosystem::PyPI, "Django"), "django");
        assert_eq!(normalize_name(Ecosystem::PyPI, "zope.interface"), "zope-interface");
        assert_eq!(normalize_name(Ecosystem::PyPI, "Foo__-.Bar"), "foo-bar");
    }

    #[test]
    fn cargo_and_npm() {
        assert_eq!(normalize_name(Ecosystem::CratesIo, "Serde_JSON"), "serde-json");
        assert_eq!(normalize_name(Ecosystem::Npm, " @Types/node "), "@Types/node");
        assert_eq!(normalize_name(Ecosystem::Go, "github.com/BurntSushi/toml"), "github.com/BurntSushi/toml");
    }
}
