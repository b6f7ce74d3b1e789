//! Compiled executables by their magic numbers, whatever the file is called.

use firebreak_core::Severity;

use crate::signals::BUNDLED_BINARY;
use crate::{Capability, Hit, Phase};

/// "ELF", "PE" or "Mach-O" when `data` starts like one.
pub(crate) fn executable_kind(data: &[u8]) -> Option<&'static str> {
    match data {
        [0x7f, b'E', b'L', b'F', ..] => Some("ELF"),
        [b'M', b'Z', ..] => {
            let at = data.get(0x3c..0x40).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)?;
            (data.get(at..at.checked_add(4)?) == Some(b"PE\0\0")).then_some("PE")
        }
        [0xfe, 0xed, 0xfa, 0xce | 0xcf, ..] | [0xce | 0xcf, 0xfa, 0xed, 0xfe, ..] => Some("Mach-O"),
        // 0xcafebabe is also a Java class file; a fat Mach-O has a small architecture count
        // where a class file has its version.
        [0xca, 0xfe, 0xba, 0xbe, a, b, c, d, ..] if u32::from_be_bytes([*a, *b, *c, *d]) < 32 => {
            Some("Mach-O")
        }
        _ => None,
    }
}

pub(crate) fn hit(path: &str, kind: &str) -> Hit {
    Hit {
        signal: &BUNDLED_BINARY,
        severity: Severity::Low,
        capability: Some(Capability::NativeBinary),
        message: format!("ships an {kind} executable"),
        path: path.to_owned(),
        line: 0,
        column: 0,
        snippet: String::new(),
        phase: Phase::Runtime,
        rule: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers() {
        assert_eq!(executable_kind(b"\x7fELF\x02\x01"), Some("ELF"));
        let mut pe = vec![0u8; 0x90];
        pe[0] = b'M';
        pe[1] = b'Z';
        pe[0x3c] = 0x80;
        pe[0x80..0x84].copy_from_slice(b"PE\0\0");
        assert_eq!(executable_kind(&pe), Some("PE"));
        assert_eq!(executable_kind(b"MZ short"), None);
        assert_eq!(executable_kind(&[0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]), Some("Mach-O"));
        assert_eq!(executable_kind(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]), Some("Mach-O"));
        assert_eq!(executable_kind(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52]), None, "a Java class file");
        assert_eq!(executable_kind(b"#!/bin/sh"), None);
    }
}
