//! Builders for hostile archives, written byte by byte so that they can hold what the
//! `tar` and `zip` writers refuse to write (`..` names, lying sizes, links, devices).
#![allow(dead_code)]

use std::io::Write;

use flate2::{Compress, Compression, Crc, FlushCompress};

pub(crate) const MIB: usize = 1024 * 1024;

/// One raw ustar header block.
pub(crate) fn tar_header(name: &[u8], typeflag: u8, size: u64, mode: u32, link: &[u8]) -> [u8; 512] {
    let mut h = [0u8; 512];
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name[..n]);
    octal(&mut h[100..108], u64::from(mode));
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 0);
    h[156] = typeflag;
    let l = link.len().min(100);
    h[157..157 + l].copy_from_slice(&link[..l]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let cksum = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(cksum.as_bytes());
    h
}

fn octal(field: &mut [u8], value: u64) {
    let last = field.len() - 1;
    let digits = format!("{value:0last$o}");
    field[..last].copy_from_slice(digits.as_bytes());
    field[last] = 0;
}

/// A tar stream being built.
#[derive(Default)]
pub(crate) struct Tar(pub(crate) Vec<u8>);

impl Tar {
    pub(crate) fn entry(mut self, name: &[u8], typeflag: u8, mode: u32, link: &[u8], data: &[u8]) -> Self {
        self.0.extend_from_slice(&tar_header(name, typeflag, data.len() as u64, mode, link));
        self.0.extend_from_slice(data);
        self.0.resize(self.0.len().div_ceil(512) * 512, 0);
        self
    }

    pub(crate) fn file(self, name: &str, data: &[u8]) -> Self {
        self.entry(name.as_bytes(), b'0', 0o644, b"", data)
    }

    pub(crate) fn raw_file(self, name: &[u8], data: &[u8]) -> Self {
        self.entry(name, b'0', 0o644, b"", data)
    }

    /// A file whose name goes in a pax `path` record, which can hold any byte.
    pub(crate) fn pax_file(self, name: &[u8], data: &[u8]) -> Self {
        let mut record = b" path=".to_vec();
        record.extend_from_slice(name);
        record.push(b'\n');
        // The length prefix counts itself.
        let mut len = record.len() + 1;
        while format!("{len}").len() + record.len() != len {
            len += 1;
        }
        let mut pax = format!("{len}").into_bytes();
        pax.extend_from_slice(&record);
        self.entry(b"PaxHeader", b'x', 0o644, b"", &pax).entry(b"placeholder", b'0', 0o644, b"", data)
    }

    /// A file whose name goes in a GNU long-name record.
    pub(crate) fn gnu_long_file(self, name: &[u8], data: &[u8]) -> Self {
        let mut long = name.to_vec();
        long.push(0);
        self.entry(b"././@LongLink", b'L', 0o644, b"", &long).entry(b"short", b'0', 0o644, b"", data)
    }

    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.0.extend_from_slice(&[0u8; 1024]);
        self.0
    }
}

pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Raw deflate blocks (not final) for `data`, ending in a full flush: the compressor
/// starts afresh after one, so such pieces concatenate into a valid stream.
pub(crate) fn deflate_piece(data: &[u8]) -> Vec<u8> {
    let mut compress = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(data.len() / 2 + 1024);
    loop {
        let consumed = compress.total_in() as usize;
        compress.compress_vec(&data[consumed..], &mut out, FlushCompress::Full).unwrap();
        if compress.total_in() as usize == data.len() && out.len() < out.capacity() {
            return out;
        }
        out.reserve(out.capacity().max(1024));
    }
}

/// The final empty block that ends a raw deflate stream.
pub(crate) fn deflate_end() -> Vec<u8> {
    let mut compress = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(64);
    compress.compress_vec(&[], &mut out, FlushCompress::Finish).unwrap();
    out
}

/// A raw deflate stream of `mib` MiB of zeros, built from one compressed MiB repeated:
/// a gigabyte costs a megabyte and no time.
pub(crate) struct Zeros {
    pub(crate) deflate: Vec<u8>,
    pub(crate) len: u64,
    pub(crate) crc: u32,
}

pub(crate) fn deflate_zeros(prefix: &[u8], mib: usize, suffix: &[u8]) -> Zeros {
    let zeros = vec![0u8; MIB];
    let piece = deflate_piece(&zeros);
    let mut deflate = deflate_piece(prefix);
    for _ in 0..mib {
        deflate.extend_from_slice(&piece);
    }
    deflate.extend_from_slice(&deflate_piece(suffix));
    deflate.extend_from_slice(&deflate_end());
    let mut crc = Crc::new();
    crc.update(prefix);
    let mut one = Crc::new();
    one.update(&zeros);
    for _ in 0..mib {
        crc.combine(&one);
    }
    crc.update(suffix);
    let len = (prefix.len() + mib * MIB + suffix.len()) as u64;
    Zeros { deflate, len, crc: crc.sum() }
}

/// Wraps a raw deflate stream in a gzip member.
pub(crate) fn gzip_member(z: &Zeros) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    out.extend_from_slice(&z.deflate);
    out.extend_from_slice(&z.crc.to_le_bytes());
    out.extend_from_slice(&(z.len as u32).to_le_bytes());
    out
}

/// One zip entry, as written in both the local and the central header.
pub(crate) struct ZipEntry {
    pub(crate) name: Vec<u8>,
    pub(crate) method: u16,
    pub(crate) flags: u16,
    pub(crate) crc: u32,
    pub(crate) compressed: Vec<u8>,
    /// The declared uncompressed size (which may lie).
    pub(crate) size: u32,
    /// Unix mode, written as made-by-Unix external attributes.
    pub(crate) mode: Option<u32>,
    /// Points the central header at an earlier entry's local header (overlap bombs).
    pub(crate) same_data_as: Option<usize>,
}

impl ZipEntry {
    pub(crate) fn stored(name: &str, data: &[u8]) -> Self {
        let mut crc = Crc::new();
        crc.update(data);
        ZipEntry {
            name: name.as_bytes().to_vec(),
            method: 0,
            flags: 0,
            crc: crc.sum(),
            compressed: data.to_vec(),
            size: data.len() as u32,
            mode: None,
            same_data_as: None,
        }
    }

    pub(crate) fn deflated(name: &str, z: &Zeros) -> Self {
        ZipEntry {
            name: name.as_bytes().to_vec(),
            method: 8,
            flags: 0,
            crc: z.crc,
            compressed: z.deflate.clone(),
            size: z.len.min(u64::from(u32::MAX)) as u32,
            mode: None,
            same_data_as: None,
        }
    }
}

pub(crate) fn zip(entries: &[ZipEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for e in entries {
        offsets.push(out.len() as u32);
        if e.same_data_as.is_some() {
            continue;
        }
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&e.flags.to_le_bytes());
        out.extend_from_slice(&e.method.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0x21, 0]); // time, date (1980-01-01)
        out.extend_from_slice(&e.crc.to_le_bytes());
        out.extend_from_slice(&(e.compressed.len() as u32).to_le_bytes());
        out.extend_from_slice(&e.size.to_le_bytes());
        out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&e.name);
        out.extend_from_slice(&e.compressed);
    }
    let cd_start = out.len() as u32;
    for (i, e) in entries.iter().enumerate() {
        let (offset, data_of) = match e.same_data_as {
            Some(j) => (offsets[j], &entries[j]),
            None => (offsets[i], e),
        };
        out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        let made_by: u16 = if e.mode.is_some() { 3 << 8 | 20 } else { 20 };
        out.extend_from_slice(&made_by.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&e.flags.to_le_bytes());
        out.extend_from_slice(&data_of.method.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0x21, 0]);
        out.extend_from_slice(&data_of.crc.to_le_bytes());
        out.extend_from_slice(&(data_of.compressed.len() as u32).to_le_bytes());
        out.extend_from_slice(&e.size.to_le_bytes());
        out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
        out.extend_from_slice(&(e.mode.unwrap_or(0) << 16).to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&e.name);
    }
    let cd_len = out.len() as u32 - cd_start;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}
