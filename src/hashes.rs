//! Hashes for names and fingerprints, and the one naming of cache files: a key's file name is
//! `<kind>-<32 hex digits of the SHA-256 of its canonical bytes>`, so names never leak into `ls`
//! output and any cluster, profile or path makes a safe file name. Pure.

use sha2::{Digest, Sha256};

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// `sha256:<hex>` of `bytes`, for values kept only as a fingerprint (a session token, say).
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

/// The file name stem of a cache entry of `kind` (`token`, `creds`, `contexts`) whose key
/// serializes to `canonical`.
pub fn stem(kind: &str, canonical: &[u8]) -> String {
    format!("{kind}-{}", &hex(&Sha256::digest(canonical))[..32])
}

/// A fast 64-bit fingerprint of a file's content, to tell two contents of one size apart (a
/// kubeconfig rewritten within one tick of the filesystem clock; see `kubeconfig::digest`).
/// Not for secrets nor against an attacker: whoever can write the file can write the digest.
/// Four lanes of multiply-rotate over 8-byte words, each step a bijection of the lane, then a
/// murmur3-style finish with the length: memory-bound, so 8 MB costs about a millisecond.
pub fn fingerprint(bytes: &[u8]) -> u64 {
    let mut f = Fingerprint::new();
    f.update(bytes);
    f.finish()
}

/// [`fingerprint`] of bytes given piece by piece (a file read in chunks, so that no copy of a
/// large file is made): the same value however the bytes are split.
pub struct Fingerprint {
    lanes: [u64; 4],
    /// Bytes of an unfinished 32-byte block.
    carry: Vec<u8>,
    len: u64,
}

const K: u64 = 0x9E37_79B9_7F4A_7C15;

fn word(c: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    for (d, s) in w.iter_mut().zip(c) {
        *d = *s;
    }
    u64::from_le_bytes(w)
}

impl Fingerprint {
    pub fn new() -> Self {
        Fingerprint {
            lanes: [K, K.rotate_left(16), K.rotate_left(32), K.rotate_left(48)],
            carry: Vec::with_capacity(32),
            len: 0,
        }
    }

    fn block(&mut self, block: &[u8]) {
        for (lane, w) in self.lanes.iter_mut().zip(block.chunks(8)) {
            *lane = (*lane ^ word(w)).wrapping_mul(K).rotate_left(29);
        }
    }

    pub fn update(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if !self.carry.is_empty() {
            let take = (32 - self.carry.len()).min(bytes.len());
            self.carry.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.carry.len() < 32 {
                return;
            }
            let block = std::mem::take(&mut self.carry);
            self.block(&block);
            self.carry = block;
            self.carry.clear();
        }
        let mut blocks = bytes.chunks_exact(32);
        for block in &mut blocks {
            self.block(block);
        }
        self.carry.extend_from_slice(blocks.remainder());
    }

    pub fn finish(mut self) -> u64 {
        let tail = std::mem::take(&mut self.carry);
        self.block(&tail);
        let mut h = self.len;
        for lane in self.lanes {
            h = (h ^ lane).wrapping_mul(K).rotate_left(31);
        }
        h ^= h >> 33;
        h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        h ^= h >> 33;
        h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
        h ^ (h >> 33)
    }
}

impl Default for Fingerprint {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_short_stable_and_safe() {
        let a = stem("token", b"{\"cluster\":\"a/../b\"}");
        assert_eq!(a, stem("token", b"{\"cluster\":\"a/../b\"}"));
        assert_eq!(a.len(), "token-".len() + 32);
        assert!(a[6..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, stem("creds", b"{\"cluster\":\"a/../b\"}"));
        assert_eq!(hex(&[0, 255]), "00ff");
    }

    #[test]
    fn fingerprints_tell_contents_of_one_size_apart() {
        let base = b"current-context: c0001.eu-west-1.one\nkind: Config\n".repeat(40);
        let f = fingerprint(&base);
        assert_eq!(f, fingerprint(&base));
        // Every single-byte change, at every offset (full chunks, the tail, the last byte).
        for at in 0..base.len() {
            let mut other = base.clone();
            other[at] ^= 1;
            assert_ne!(fingerprint(&other), f, "{at}");
        }
        // Same bytes, moved; a zero tail; the empty text.
        let mut swapped = base.clone();
        swapped.swap(0, 40);
        assert_ne!(fingerprint(&swapped), f);
        assert_ne!(fingerprint(b"a"), fingerprint(b"a\0"));
        assert_ne!(fingerprint(b""), fingerprint(b"\0"));
        // Given in pieces of any sizes, the same value.
        for piece in [1, 7, 31, 32, 33, 100, 4096] {
            let mut f = Fingerprint::new();
            for chunk in base.chunks(piece) {
                f.update(chunk);
            }
            assert_eq!(f.finish(), fingerprint(&base), "{piece}");
        }
    }
}
