//! Hex encoding, SHA-256 and HMAC-SHA256, for the few places that need them (persisted-query
//! hashes, API keys, record keys).

use sha2::{Digest, Sha256};

/// Lower-case hex of `bytes`: the export's, one helper for the whole workspace.
pub use b2h_export::hex;

/// SHA-256 of `text`, in lower-case hex (as `sha256sum` prints it).
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// HMAC-SHA256 (RFC 2104) of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_like_sha256sum() {
        // What `printf '{__typename}' | sha256sum` prints: also what APQ clients send.
        assert_eq!(
            super::sha256_hex("{__typename}"),
            "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"
        );
        assert_eq!(super::hex(&[0, 15, 255]), "000fff");
    }
}
