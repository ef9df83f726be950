//! Signed links to a funder's report, for browsers (which cannot send a Bearer key with a link):
//! `Funder.reportUrl` signs one for the key that asks; the report route honours it until it
//! expires, and only while that key is valid (revoking the key kills its links).
//!
//! The signature is HMAC-SHA256 over the report asked for, the key's id and the expiry, under a
//! key derived from the installation's secret and the API key's stored hash: it cannot be made
//! without both, and it names the one key it stands for.

use crate::digest::{hex, hmac_sha256};
use crate::reports::Format;
use b2h_report::Window;
use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

/// How long a link lasts unless asked otherwise.
pub const DEFAULT_HOURS: i64 = 24;
/// The longest a link may last.
pub const MAX_HOURS: i64 = 7 * 24;

/// What a link opens, and for whom until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportLink {
    pub funder: Uuid,
    pub format: Format,
    pub window: Window,
    pub key: Uuid,
    pub expires: DateTime<Utc>,
}

/// Why a link is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this report link expired at {0}")]
    Expired(DateTime<Utc>),
    #[error("this report link is not valid: its signature does not match")]
    BadSignature,
}

impl ReportLink {
    fn message(&self) -> String {
        format!(
            "b2h report link\n{}\n{}\n{}\n{}\n{}\n{}",
            self.funder,
            self.format.extension(),
            self.window.from,
            self.window.to,
            self.key,
            self.expires.timestamp()
        )
    }

    fn signature(&self, installation_secret: &[u8], key_hash: &str) -> String {
        let mut material = installation_secret.to_vec();
        material.extend_from_slice(key_hash.as_bytes());
        let signing_key = hmac_sha256(&material, b"b2h report links");
        hex(&hmac_sha256(&signing_key, self.message().as_bytes()))
    }

    /// The link, relative to the server's root.
    pub fn url(&self, installation_secret: &[u8], key_hash: &str) -> String {
        format!(
            "/reports/funders/{}.{}?from={}&to={}&key={}&expires={}&signature={}",
            self.funder,
            self.format.extension(),
            self.window.from,
            self.window.to,
            self.key,
            self.expires.timestamp(),
            self.signature(installation_secret, key_hash)
        )
    }

    /// Whether `signature` is this link's, made under these secrets, and it has not expired.
    pub fn verify(
        &self,
        signature: &str,
        installation_secret: &[u8],
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LinkError> {
        let want = self.signature(installation_secret, key_hash);
        let same = want.len() == signature.len()
            && want
                .bytes()
                .zip(signature.bytes())
                .fold(0u8, |d, (a, b)| d | (a ^ b))
                == 0;
        if !same {
            return Err(LinkError::BadSignature);
        }
        if self.expires <= now {
            return Err(LinkError::Expired(self.expires));
        }
        Ok(())
    }
}

/// The expiry of a link made now to last `hours` (1 to [`MAX_HOURS`]).
pub fn expiry(now: DateTime<Utc>, hours: i64) -> Result<DateTime<Utc>, String> {
    if !(1..=MAX_HOURS).contains(&hours) {
        return Err(format!(
            "a report link lasts from 1 to {MAX_HOURS} hours, not {hours}"
        ));
    }
    Ok(now + TimeDelta::hours(hours))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn link(expires: DateTime<Utc>) -> ReportLink {
        ReportLink {
            funder: Uuid::from_u128(1),
            format: Format::Pdf,
            window: Window {
                from: NaiveDate::from_ymd_opt(2023, 4, 1).unwrap_or_default(),
                to: NaiveDate::from_ymd_opt(2024, 3, 31).unwrap_or_default(),
            },
            key: Uuid::from_u128(2),
            expires,
        }
    }

    #[test]
    fn links_hold_until_they_expire_and_only_as_signed() {
        let now = Utc::now();
        let l = link(expiry(now, DEFAULT_HOURS).unwrap_or(now));
        let url = l.url(b"secret", "hash");
        let signature = url.rsplit("signature=").next().unwrap_or_default();
        assert_eq!(l.verify(signature, b"secret", "hash", now), Ok(()));
        assert_eq!(
            l.verify(signature, b"secret", "hash", now + TimeDelta::hours(25)),
            Err(LinkError::Expired(l.expires))
        );
        // Another key's hash (a key made anew), another installation, another report.
        assert_eq!(
            l.verify(signature, b"secret", "other", now),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            l.verify(signature, b"other", "hash", now),
            Err(LinkError::BadSignature)
        );
        let csv = ReportLink {
            format: Format::Csv,
            ..l.clone()
        };
        assert_eq!(
            csv.verify(signature, b"secret", "hash", now),
            Err(LinkError::BadSignature)
        );
        assert!(expiry(now, 0).is_err() && expiry(now, MAX_HOURS + 1).is_err());
    }
}
