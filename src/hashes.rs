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
}
