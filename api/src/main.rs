//! The `b2h` binary: parses the command line, sets up logging, reports errors plainly.

use b2h_api::cli::{self, Cli};
use clap::Parser;
use std::process::ExitCode;

// glibc's allocator spent a quarter of a request's CPU time in malloc/free and arena locks
// under load (see docs/benchmarks.md); mimalloc's thread-local heaps avoid both.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The one TLS stack (rustls with ring) for every HTTP client, such as S3 exports.
    b2h_export::install_crypto_provider();
    b2h_api::telemetry::init(cli.log_format);
    let mut stdout = std::io::stdout().lock();
    match cli::run(cli, &mut stdout)
        .await
        .map_err(anyhow::Error::from)
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
