//! Files partners and funders send: outcome CSVs and 360Giving grant files.

pub mod dates;
pub mod giving360;
pub mod grants;
pub mod outcomes;
pub mod text;

/// How far an import has got, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// The file with every line ending (CRLF, or CR alone as old Mac and some Excel exports write)
/// made LF, so that line numbers count lines as an editor shows them. Borrowed when it has no CR.
pub fn lf_line_endings(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !bytes.contains(&b'\r') {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' {
            out.push(b'\n');
            if bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
        } else {
            out.push(bytes[i]);
        }
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn line_endings_become_lf() {
        assert_eq!(&super::lf_line_endings(b"a\r\nb\rc\n")[..], b"a\nb\nc\n");
        assert_eq!(&super::lf_line_endings(b"a\nb")[..], b"a\nb");
    }
}
