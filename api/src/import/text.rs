//! A file's bytes as text, as spreadsheets and funders' systems save it: UTF-8 with or without
//! a byte order mark; UTF-16 with its byte order mark (Excel's "Unicode Text", some database
//! exports); otherwise Windows-1252 (Excel's plain "CSV", `£` as the byte 0xA3), but only when
//! every byte is one Windows-1252 defines — a file that is none of these is refused, not guessed
//! at.

use std::borrow::Cow;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why a file is not text.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TextError {
    #[error(
        "the file is neither UTF-8, UTF-16 (with a byte order mark) nor Windows-1252 text (byte 0x{byte:02X} at offset {offset})"
    )]
    NotText { byte: u8, offset: usize },
    #[error("the file says it is UTF-16 but is not: {reason} at offset {offset}")]
    BadUtf16 { reason: &'static str, offset: usize },
}

/// The file as text.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, TextError> {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes).map(Cow::Owned);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes).map(Cow::Owned);
    }
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    bytes
        .iter()
        .enumerate()
        .map(|(offset, &byte)| windows_1252(byte).ok_or(TextError::NotText { byte, offset }))
        .collect::<Result<String, _>>()
        .map(Cow::Owned)
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, TextError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(TextError::BadUtf16 {
            reason: "an odd number of bytes",
            offset: bytes.len() + 1,
        });
    }
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    let mut text = String::with_capacity(bytes.len() / 2);
    for (at, decoded) in char::decode_utf16(units).enumerate() {
        match decoded {
            Ok(c) => text.push(c),
            Err(_) => {
                return Err(TextError::BadUtf16 {
                    reason: "a lone surrogate",
                    offset: 2 + at * 2,
                });
            }
        }
    }
    Ok(text)
}

/// A Windows-1252 byte as a character; `None` for the five bytes it leaves undefined.
fn windows_1252(byte: u8) -> Option<char> {
    const HIGH: [u16; 32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
        0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
        0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ];
    match byte {
        0x80..=0x9F => match HIGH[usize::from(byte - 0x80)] {
            0 => None,
            code => char::from_u32(u32::from(code)),
        },
        // ASCII and Latin-1 agree with Windows-1252 elsewhere.
        _ => Some(char::from(byte)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str) -> Vec<u8> {
        let mut out = b"\xFF\xFE".to_vec();
        out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    #[test]
    fn every_encoding_users_save_in() {
        assert_eq!(decode(b"\xEF\xBB\xBFa,\xC2\xA3").unwrap(), "a,£");
        assert_eq!(decode(b"a,\xA3").unwrap(), "a,£");
        assert_eq!(decode(b"\x80").unwrap(), "€");
        assert_eq!(decode(&utf16le("a,£\r\nb")).unwrap(), "a,£\r\nb");
        let mut be = b"\xFE\xFF".to_vec();
        be.extend("é".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be).unwrap(), "é");
        assert_eq!(
            decode(b"a\x81").unwrap_err(),
            TextError::NotText {
                byte: 0x81,
                offset: 1
            }
        );
        let mut odd = utf16le("ab");
        odd.push(b'c');
        assert!(matches!(decode(&odd), Err(TextError::BadUtf16 { .. })));
        let mut lone = b"\xFF\xFE".to_vec();
        lone.extend(0xD800u16.to_le_bytes());
        assert!(matches!(decode(&lone), Err(TextError::BadUtf16 { .. })));
    }
}
