//! Parquet exports from the command line: one snapshot, or a worker taking one on a schedule.

use crate::progress::Progress;
use b2h_export::{Destination, ExportError, Options, Published, Step};
use sea_orm::DatabaseConnection;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The longest wait between retries after a failed export.
const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
const FIRST_BACKOFF: Duration = Duration::from_secs(5);
const MAX_INTERVAL_DAYS: u64 = 366;

/// Parses an interval such as `90s`, `30m`, `1h` or `1d`.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not an interval such as 90s, 30m, 1h or 1d"))?;
    let unit_seconds: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" | "" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: the unit must be s, m, h or d")),
    };
    let seconds = n.saturating_mul(unit_seconds);
    if seconds == 0 {
        return Err("the interval must be longer than zero".to_owned());
    }
    if seconds > MAX_INTERVAL_DAYS * 86_400 {
        return Err(format!("{text:?}: at most {MAX_INTERVAL_DAYS} days"));
    }
    Ok(Duration::from_secs(seconds))
}

/// The export options of a CLI run: a progress bar on a terminal unless `quiet`.
pub fn options(keep: Option<usize>, quiet: bool) -> Options {
    let progress: Option<b2h_export::Progress> = (!quiet).then(|| {
        let bar: Arc<Mutex<Option<Progress>>> = Arc::new(Mutex::new(None));
        let progress: b2h_export::Progress = Arc::new(move |step| {
            let Ok(mut bar) = bar.lock() else { return };
            match step {
                Step::Planned { rows } => *bar = Some(Progress::new("export", rows, true)),
                Step::Rows(n) => {
                    if let Some(bar) = bar.as_mut() {
                        bar.inc(n);
                    }
                }
                Step::Written => {
                    if let Some(bar) = bar.take() {
                        bar.finish();
                    }
                }
            }
        });
        progress
    });
    Options { keep, progress }
}

/// Takes a snapshot every `every` until `stop` resolves; a failed export is retried sooner,
/// backing off from 5 s to at most 15 minutes (or `every`, if shorter).
pub async fn run_worker(
    db: &DatabaseConnection,
    destination: &Destination,
    every: Duration,
    options: &Options,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut failures = 0u32;
    tracing::info!(destination = %destination, every_seconds = every.as_secs(), keep = options.keep, "export worker started");
    loop {
        let started = tokio::time::Instant::now();
        let result: Result<Published, ExportError> = tokio::select! {
            result = b2h_export::export(db, destination, options) => result,
            () = &mut stop => break,
        };
        let next = match result {
            Ok(published) => {
                failures = 0;
                let m = &published.manifest;
                tracing::info!(snapshot = %m.snapshot_id, rows = m.total_rows(), bytes = m.total_bytes(), "export finished");
                started + every
            }
            Err(e) => {
                failures += 1;
                let backoff = FIRST_BACKOFF
                    .saturating_mul(1 << (failures - 1).min(16))
                    .min(MAX_BACKOFF)
                    .min(every);
                tracing::error!(
                    error = %error_chain(&e),
                    database = e.is_database(),
                    failures,
                    retry_in_seconds = backoff.as_secs(),
                    "export failed"
                );
                tokio::time::Instant::now() + backoff
            }
        };
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            () = &mut stop => break,
        }
    }
    tracing::info!("export worker stopped");
}

/// An error with its causes, `a: b: c` (a cause that only repeats the text before it is skipped,
/// as sqlx's database errors do).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_as_people_write_them() {
        assert_eq!(parse_interval("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_interval("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_interval("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_interval("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("soon").is_err());
        assert!(parse_interval("5y").unwrap_err().contains("unit"));
        assert!(
            parse_interval("99999999999999999d")
                .unwrap_err()
                .contains("at most")
        );
    }
}
