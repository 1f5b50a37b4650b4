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
/// murmur3-style finish with the length: memory-bound (a few GB/s), so 8 MB costs about 1 ms.
pub fn fingerprint(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut lanes: [u64; 4] = [K, K.rotate_left(16), K.rotate_left(32), K.rotate_left(48)];
    let word = |c: &[u8]| {
        let mut w = [0u8; 8];
        for (d, s) in w.iter_mut().zip(c) {
            *d = *s;
        }
        u64::from_le_bytes(w)
    };
    let mut chunks = bytes.chunks_exact(32);
    for chunk in &mut chunks {
        for (lane, w) in lanes.iter_mut().zip(chunk.chunks_exact(8)) {
            *lane = (*lane ^ word(w)).wrapping_mul(K).rotate_left(29);
        }
    }
    for (lane, w) in lanes.iter_mut().zip(chunks.remainder().chunks(8)) {
        *lane = (*lane ^ word(w)).wrapping_mul(K).rotate_left(29);
    }
    let mut h = bytes.len() as u64;
    for lane in lanes {
        h = (h ^ lane).wrapping_mul(K).rotate_left(31);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^ (h >> 33)
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
    }
}
