//! The `b2h` command line: one `clap` struct whose options also read the environment.

use crate::apikey::{self, ApiKeyError, NewKey};
use crate::db::{self, ConnectError, DatabaseUrl, DbUrlError};
use crate::exporter;
use crate::import::{self, grants::GrantImportError};
use crate::migrate;
use crate::progress;
use crate::reports;
use crate::seed::{self, SeedError, SeedOptions, Shape};
use crate::server::{self, Application, ServerConfig, ServerError};
use crate::stats;
use crate::telemetry::LogFormat;
use crate::write::{Actor, WriteError};
use b2h_entity::enums::ApiRole;
use clap::{Args, Parser, Subcommand, ValueEnum};
use sea_orm::{DatabaseConnection, DbErr};
use std::io::Write;

#[derive(Debug, Parser)]
#[command(
    name = "b2h",
    version,
    about = "Back to Health data platform: projects, funders and outcomes of the campaign",
    long_about = "Back to Health data platform: projects, funders and outcomes of the campaign.\n\n\
        Every command works on the database named by --database-url / DATABASE_URL: the embedded \
        SQLite default (created and migrated on first use) or PostgreSQL (postgres://…)."
)]
pub struct Cli {
    /// Database to use: sqlite://FILE?mode=rwc or postgres://user[:password]@host[:port]/database.
    #[arg(long, env = "DATABASE_URL", default_value = db::DEFAULT_DATABASE_URL, global = true, hide_env_values = true)]
    pub database_url: String,

    /// Log format on stderr (json for production log collectors).
    #[arg(
        long,
        env = "RUST_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply, revert or inspect schema migrations (plain `b2h migrate` applies all pending ones).
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Load synthetic, deterministic demo data into an empty database (migrating it first).
    Seed(SeedArgs),
    /// Serve the GraphQL API (migrating the database first).
    Serve(ServeArgs),
    /// Print the GraphQL schema (SDL, fields sorted): what schema.graphql holds.
    Schema,
    /// Make, list and revoke API keys (migrating the database first).
    Apikey {
        #[command(subcommand)]
        action: ApikeyAction,
    },
    /// Import outcome records from a CSV file or grants from a 360Giving file (all or nothing;
    /// audited as cli:$USER).
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Write a Parquet snapshot of the database for evaluators (record-level, not
    /// disclosure-controlled): OUT/snapshots/<id>/ with manifest.json and README.md, then OUT/latest.
    /// `b2h export grants --format 360giving` writes the grants as a 360Giving package instead.
    Export(ExportArgs),
    /// Write an impact report as a document (read as an admin: live, exact figures).
    Report {
        #[command(subcommand)]
        what: ReportWhat,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportWhat {
    /// One funder's impact report: headline, charts with their data, outcome highlights, the
    /// projects funded, data quality and how the figures were made.
    Funder(ReportFunderArgs),
    /// Every funder's report, one file each, and an index.html listing them.
    Funders(ReportFundersArgs),
    /// The campaign's public report (disclosure controlled, as everyone reads it): people
    /// supported against the target by beneficiary group, pathway stage, region and month, with
    /// the projection, from the campaign's start; published from the data as of its latest change.
    Campaign(ReportCampaignArgs),
}

#[derive(Debug, Args)]
pub struct ReportCampaignArgs {
    /// The document's format.
    #[arg(long, value_enum)]
    pub format: reports::Format,
    /// The file to write (written whole or not at all).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Read as the public does, not as an admin: the campaign's report is the public figures
    /// either way.
    #[arg(long)]
    pub as_public: bool,
}

#[derive(Debug, Args)]
pub struct ReportFundersArgs {
    /// First day of the window (YYYY-MM-DD) for every funder. Default: each funder's latest whole
    /// UK financial year in which its projects have counted records.
    #[arg(long, value_parser = crate::dates::iso_date_arg, requires = "to")]
    pub from: Option<chrono::NaiveDate>,
    /// Last day of the window (YYYY-MM-DD).
    #[arg(long, value_parser = crate::dates::iso_date_arg, requires = "from")]
    pub to: Option<chrono::NaiveDate>,
    /// The documents' format.
    #[arg(long, value_enum)]
    pub format: reports::Format,
    /// The folder to write to (created when missing).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Read as the public does, not as an admin: the funder's figures as published, by the
    /// published dimensions only, disclosure controlled (a report to forward to anyone).
    #[arg(long)]
    pub as_public: bool,
}

#[derive(Debug, Args)]
pub struct ReportFunderArgs {
    /// The funder: its UUID or Org-ID (e.g. GB-CHC-1234567).
    #[arg(long)]
    pub funder: String,
    /// First day of the window (YYYY-MM-DD): records whose period ends from it. Default: the
    /// latest whole UK financial year in which the funder's projects have counted records.
    #[arg(long, value_parser = crate::dates::iso_date_arg, requires = "to")]
    pub from: Option<chrono::NaiveDate>,
    /// Last day of the window (YYYY-MM-DD).
    #[arg(long, value_parser = crate::dates::iso_date_arg, requires = "from")]
    pub to: Option<chrono::NaiveDate>,
    /// The document's format.
    #[arg(long, value_enum)]
    pub format: reports::Format,
    /// The file to write (written whole or not at all).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Read as the public does, not as an admin: the funder's figures as published, by the
    /// published dimensions only, disclosure controlled (a report to forward to anyone).
    #[arg(long)]
    pub as_public: bool,
}

#[derive(Debug, Args)]
#[command(subcommand_negates_reqs = true)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub what: Option<ExportWhat>,
    /// Folder the snapshots go to (created if missing).
    #[arg(long, env = "B2H_EXPORT_OUT", required = true)]
    pub out: Option<String>,
    /// Run as a worker: take a snapshot now and then every interval (90s, 30m, 1h, 1d) until
    /// stopped (Ctrl-C or SIGTERM); failed exports are retried sooner, backing off.
    #[arg(long, env = "B2H_EXPORT_EVERY", value_parser = exporter::parse_interval)]
    pub every: Option<std::time::Duration>,
    /// Keep only the newest N snapshots (older ones are removed after each export).
    #[arg(long, env = "B2H_EXPORT_KEEP", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: Option<u32>,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Print each table's SELECT as JSON lines and exit (benchmarks give them to other exporters).
    #[arg(long, hide = true)]
    pub print_queries: bool,
}

#[derive(Debug, Subcommand)]
pub enum ExportWhat {
    /// The grants (not archived) as a 360Giving 1.4 JSON package, which `b2h import grants`
    /// reads back to the same rows.
    Grants(ExportGrantsArgs),
}

/// File formats grants are exported in.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GrantFormat {
    /// The 360Giving Data Standard's JSON package ({"grants": [...]}).
    #[value(name = "360giving")]
    Giving360,
}

#[derive(Debug, Args)]
pub struct ExportGrantsArgs {
    /// The format to write.
    #[arg(long, value_enum)]
    pub format: GrantFormat,
    /// The file to write (replaced whole, never left half-written); standard output without it.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// The publisher the package names.
    #[arg(long, default_value = "Back to Health")]
    pub publisher_name: String,
}

#[derive(Debug, Subcommand)]
pub enum ImportWhat {
    /// Outcome records from a CSV file with the template's columns (`--template` prints it).
    Outcomes(ImportOutcomesArgs),
    /// Grants from a funder's 360Giving file (the JSON package, or the flattened form as CSV or
    /// XLSX); organisations matched by Org-ID or by the identifier given.
    Grants(ImportGrantsArgs),
}

#[derive(Debug, Args)]
pub struct ImportOutcomesArgs {
    /// The CSV file.
    #[arg(required_unless_present = "template")]
    pub file: Option<std::path::PathBuf>,
    /// Check the file and report what would change, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the CSV template (header and an example row) and exit.
    #[arg(long)]
    pub template: bool,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Args)]
pub struct ImportGrantsArgs {
    /// The 360Giving file: JSON ({"grants": [...]}), or CSV or XLSX with the standard's column
    /// titles (told by content, then by extension).
    pub file: std::path::PathBuf,
    /// Who published the file (its Org-ID, other identifier, name or funder id): the funder of
    /// grants that name none, or name one without an identifier that matches no funder.
    #[arg(long)]
    pub publisher: Option<String>,
    /// Check the file and report what would change, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the grants that can be accepted and report the others (default: all or nothing).
    #[arg(long)]
    pub skip_invalid: bool,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Subcommand)]
pub enum ApikeyAction {
    /// Make a key and print its secret (shown this once: only a hash is kept).
    Create(ApikeyCreateArgs),
    /// List the keys (never their secrets).
    List,
    /// Revoke a key by its id or prefix; requests with it get 401 from then on.
    Revoke {
        /// The key's id (UUID) or its prefix (the 12 hex digits after `b2h_`).
        key: String,
    },
}

#[derive(Debug, Args)]
pub struct ApikeyCreateArgs {
    /// What the key is for, e.g. "Midlands dashboard".
    #[arg(long)]
    pub name: String,
    /// The role the key acts in.
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// A partner key's organisation: its UUID or Org-ID (e.g. GB-NHS-RLT).
    #[arg(long, conflicts_with = "funder")]
    pub organisation: Option<String>,
    /// A funder key's funder: its UUID or Org-ID.
    #[arg(long)]
    pub funder: Option<String>,
    /// Last day the key works (YYYY-MM-DD, UTC); no expiry when left out.
    #[arg(long, value_parser = crate::dates::iso_date_arg)]
    pub expires: Option<chrono::NaiveDate>,
}

/// The roles a key can have.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    Admin,
    Partner,
    Funder,
    Evaluator,
}

impl From<RoleArg> for ApiRole {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => ApiRole::Admin,
            RoleArg::Partner => ApiRole::Partner,
            RoleArg::Funder => ApiRole::Funder,
            RoleArg::Evaluator => ApiRole::Evaluator,
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "B2H_LISTEN", default_value = server::DEFAULT_LISTEN)]
    pub listen: std::net::SocketAddr,
    /// Load the demo data first when the database is empty.
    #[arg(long)]
    pub demo: bool,
    /// Do not apply pending migrations at start (the schema must already be current).
    #[arg(long)]
    pub no_migrate: bool,
    /// Origins allowed to call the API from a browser (comma-separated, or * for any).
    #[arg(long = "cors-origin", env = "B2H_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Longest a request may take, in seconds.
    #[arg(long, env = "B2H_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout: u64,
    /// Requests per minute one API key (or one client address without a key) may make; 0 turns
    /// the limit off.
    #[arg(long, env = "B2H_RATE_LIMIT", default_value_t = server::DEFAULT_RATE_LIMIT)]
    pub rate_limit: u32,
    /// Folder for Parquet snapshots: `requestExport` writes there and `exports` lists them (the
    /// same folder as `b2h export --out`); exports are off without it.
    #[arg(long, env = "B2H_EXPORT_OUT")]
    pub export_out: Option<String>,
    /// Time between publications of the public figures (90s, 30m, 1h, 1d): anonymous readers see
    /// the figures as of the last publication, keys live ones. A publication waits while fewer
    /// than three projects' counted records have changed.
    #[arg(long, env = "B2H_PUBLISH_EVERY", default_value = "1h", value_parser = exporter::parse_interval)]
    pub publish_every: std::time::Duration,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the most recent migrations.
    Down {
        /// How many migrations to revert.
        #[arg(long, default_value_t = 1, conflicts_with = "all")]
        steps: u32,
        /// Revert every migration (drops all b2h tables).
        #[arg(long)]
        all: bool,
    },
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and apply all migrations again (deletes all data).
    Fresh,
}

/// Preset sizes of the synthetic data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scale {
    /// About 120 projects, monthly periods 2022-03 to 2024-06, matching the campaign's published totals.
    Demo,
    /// About 5,000 projects over eight years (July 2016 to June 2024): over 3 million outcome records.
    National,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Preset size; --projects and --months override its numbers.
    #[arg(long, value_enum, default_value = "demo")]
    pub scale: Scale,
    /// Number of projects.
    #[arg(long)]
    pub projects: Option<u32>,
    /// Number of monthly periods, ending June 2024.
    #[arg(long)]
    pub months: Option<u32>,
    /// Random seed: the same flags give identical data.
    #[arg(long, default_value_t = SeedOptions::DEFAULT_SEED)]
    pub seed: u64,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Seed only when the database holds no data yet; otherwise report what it holds.
    #[arg(long)]
    pub if_empty: bool,
}

impl SeedArgs {
    pub fn options(&self) -> SeedOptions {
        let preset = match self.scale {
            Scale::Demo => SeedOptions::demo(),
            Scale::National => SeedOptions::national(),
        };
        SeedOptions {
            shape: Shape {
                projects: self.projects.unwrap_or(preset.shape.projects),
                months: self.months.unwrap_or(preset.shape.months),
                seed: self.seed,
            },
            progress: !self.no_progress,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Url(#[from] DbUrlError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("migration failed: {0}")]
    Migrate(DbErr),
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error("database error")]
    Db(#[from] DbErr),
    #[error("cannot write output")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error(transparent)]
    ApiKey(#[from] ApiKeyError),
    #[error("cannot read {path}: {reason}")]
    ReadFile { path: String, reason: String },
    #[error("export failed")]
    Export(#[from] b2h_export::ExportError),
    #[error(
        "the database schema is not current ({pending} migration(s) pending): run `b2h migrate` first"
    )]
    SchemaBehind { pending: usize },
    /// An import refused, with every reason.
    #[error("{0}")]
    Rejected(String),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("cannot export the grants")]
    Grants(#[from] crate::export360::Export360Error),
    #[error("b2h export needs --out DIR (or B2H_EXPORT_OUT), or a subcommand such as `grants`")]
    NoExportOut,
    #[error("cannot make the report: {0}")]
    Report(String),
    #[error("cannot make the report")]
    Reports(#[from] reports::ReportsError),
    #[error("cannot load the figures")]
    Figures(#[from] crate::analytics::engine::EngineError),
}

/// Runs a parsed command, writing its report to `out`.
pub async fn run(cli: Cli, out: &mut impl Write) -> Result<(), CliError> {
    if let Command::Schema = cli.command {
        // Needs no database.
        write!(out, "{}", crate::graphql::sdl())?;
        return Ok(());
    }
    if let Command::Import {
        what: ImportWhat::Outcomes(ImportOutcomesArgs { template: true, .. }),
    } = cli.command
    {
        write!(out, "{}", import::outcomes::template())?;
        return Ok(());
    }
    let url: DatabaseUrl = cli.database_url.parse()?;
    let db = db::connect(&url).await?;
    let result = dispatch(&cli.command, &url, &db, out).await;
    db.close().await.ok();
    result
}

async fn dispatch(
    command: &Command,
    url: &DatabaseUrl,
    db: &DatabaseConnection,
    out: &mut impl Write,
) -> Result<(), CliError> {
    match command {
        Command::Apikey { action } => {
            migrate::up(db).await.map_err(CliError::Migrate)?;
            apikey_command(action, db, out).await?;
        }
        Command::Migrate { action } => match action.as_ref().unwrap_or(&MigrateAction::Up) {
            MigrateAction::Up => {
                let applied = migrate::up(db).await.map_err(CliError::Migrate)?;
                writeln!(
                    out,
                    "Applied {applied} migration(s) to {url}; the schema is up to date."
                )?;
            }
            MigrateAction::Down { steps, all } => {
                let steps = if *all { None } else { Some(*steps) };
                let reverted = migrate::down(db, steps).await.map_err(CliError::Migrate)?;
                writeln!(out, "Reverted {reverted} migration(s) on {url}.")?;
            }
            MigrateAction::Status => {
                let states = migrate::status(db).await.map_err(CliError::Migrate)?;
                writeln!(out, "Migrations on {url}:")?;
                for s in &states {
                    writeln!(
                        out,
                        "  {:<8} {}",
                        if s.applied { "applied" } else { "pending" },
                        s.name
                    )?;
                }
            }
            MigrateAction::Fresh => {
                tracing::warn!(database = %url, "dropping every table");
                migrate::fresh(db).await.map_err(CliError::Migrate)?;
                writeln!(
                    out,
                    "Dropped every table of {url} and applied all migrations."
                )?;
            }
        },
        Command::Seed(args) => {
            migrate::up(db).await.map_err(CliError::Migrate)?;
            match seed::seed(db, args.options()).await {
                Ok(summary) => {
                    let supported = stats::supported(db).await?;
                    write_seed_report(out, url, &summary, &supported)?;
                }
                Err(SeedError::NotEmpty { .. }) if args.if_empty => {
                    writeln!(out, "{url} already holds data; nothing seeded.")?;
                    write_supported(out, &stats::supported(db).await?)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Command::Serve(args) => serve(args, url, db, out).await?,
        Command::Import { what } => {
            migrate::up(db).await.map_err(CliError::Migrate)?;
            import_command(what, db, out).await?;
        }
        Command::Schema => write!(out, "{}", crate::graphql::sdl())?,
        Command::Export(args) => export_command(args, url, db, out).await?,
        Command::Report { what } => report_command(what, db, out).await?,
    }
    Ok(())
}

/// Writes `bytes` to `path` under a hidden name first, so a reader never sees half a file.
fn write_whole(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut hidden = path.as_os_str().to_owned();
    hidden.push(".partial");
    let hidden = std::path::PathBuf::from(hidden);
    std::fs::write(&hidden, bytes)?;
    std::fs::rename(&hidden, path)
}

/// Refuses a database whose migrations are pending: commands that only read it (exports,
/// reports) do not migrate it.
async fn require_current_schema(db: &DatabaseConnection) -> Result<(), CliError> {
    let pending = migrate::status(db)
        .await
        .map_err(CliError::Migrate)?
        .iter()
        .filter(|m| !m.applied)
        .count();
    if pending > 0 {
        return Err(CliError::SchemaBehind { pending });
    }
    Ok(())
}

async fn report_command(
    what: &ReportWhat,
    db: &DatabaseConnection,
    out: &mut impl Write,
) -> Result<(), CliError> {
    require_current_schema(db).await?;
    let figures = crate::analytics::engine::Figures::loaded(db.clone()).await?;
    let store = figures.store()?;
    match what {
        ReportWhat::Funder(args) => {
            let funder = crate::apikey::find_funder(db, &args.funder).await?;
            let published = public_reading(args.as_public, db, &store).await?;
            let reading = reading(published.as_ref());
            let window =
                report_window(db, figures_of(reading, &store), funder, args.from, args.to).await?;
            let report = reports::funder_report(db, &store, funder, window, reading)
                .await?
                .ok_or_else(|| {
                    CliError::Report(format!("no funder has the id '{}'", args.funder))
                })?;
            let format = args.format;
            let bytes = reports::render(&report, format)?;
            write_whole(&args.out, &bytes)?;
            writeln!(
                out,
                "Wrote {}'s impact report for {} to {} ({}) to {} ({} bytes).",
                report.subject,
                b2h_report::format::date(window.from),
                b2h_report::format::date(window.to),
                format.extension(),
                args.out.display(),
                bytes.len()
            )?;
        }
        ReportWhat::Campaign(args) => {
            let published = publication(db, &store).await?;
            let report = reports::campaign_report(db, &published)
                .await?
                .ok_or_else(|| CliError::Report("the database holds no campaign".into()))?;
            let format = args.format;
            let bytes = reports::render(&report, format)?;
            write_whole(&args.out, &bytes)?;
            writeln!(
                out,
                "Wrote {}'s public report ({}) to {} ({} bytes).",
                report.subject,
                format.extension(),
                args.out.display(),
                bytes.len()
            )?;
        }
        ReportWhat::Funders(args) => {
            let published = public_reading(args.as_public, db, &store).await?;
            let reading = reading(published.as_ref());
            std::fs::create_dir_all(&args.out)?;
            let format = args.format;
            let mut listed = Vec::new();
            let mut names = std::collections::HashSet::from(["index.html".to_owned()]);
            for (id, name) in reports::funders(db).await? {
                let window =
                    report_window(db, figures_of(reading, &store), id, args.from, args.to).await?;
                let Some(report) = reports::funder_report(db, &store, id, window, reading).await?
                else {
                    continue;
                };
                let file = reports::file_name(&name, format, &mut names);
                write_whole(&args.out.join(&file), &reports::render(&report, format)?)?;
                listed.push(b2h_report::html::Listed {
                    subject: name,
                    file,
                    window,
                    summary: report
                        .headline
                        .first()
                        .map(|s| format!("{} {}", s.value, s.label.to_lowercase()))
                        .unwrap_or_default(),
                });
            }
            let as_of = b2h_report::AsOf {
                sequence: store.sequence,
                at: crate::changes::committed_at(db, store.sequence).await?,
            };
            let index = b2h_report::html::index(
                "Impact reports: every funder",
                &b2h_report::html::as_of_text(as_of),
                &listed,
            );
            write_whole(&args.out.join("index.html"), index.as_bytes())?;
            writeln!(
                out,
                "Wrote {} funder reports ({}) and index.html to {}.",
                listed.len(),
                format.extension(),
                args.out.display()
            )?;
        }
    }
    Ok(())
}

/// A publication of the data as it is, dated by its latest change (not the clock), so that the
/// same data gives the same file.
async fn publication(
    db: &DatabaseConnection,
    store: &std::sync::Arc<crate::analytics::engine::Store>,
) -> Result<crate::analytics::published::Snapshot, CliError> {
    let mut published = crate::analytics::published::Snapshot::new(std::sync::Arc::clone(store));
    if let Some(at) = crate::changes::committed_at(db, store.sequence).await? {
        published.published_at = at;
    }
    Ok(published)
}

/// With `--as-public`, the publication the public reads (only then: making one scans every
/// record).
async fn public_reading(
    as_public: bool,
    db: &DatabaseConnection,
    store: &std::sync::Arc<crate::analytics::engine::Store>,
) -> Result<Option<crate::analytics::published::Snapshot>, CliError> {
    Ok(if as_public {
        Some(publication(db, store).await?)
    } else {
        None
    })
}

/// The CLI reads as an admin, or with `--as-public` as the public does.
fn reading(public: Option<&crate::analytics::published::Snapshot>) -> reports::Reading<'_> {
    match public {
        Some(published) => reports::Reading::Public(published),
        None => reports::Reading::Exact,
    }
}

/// The figures a reading shows: the public's are those of the publication.
fn figures_of<'a>(
    reading: reports::Reading<'a>,
    live: &'a crate::analytics::engine::Store,
) -> &'a crate::analytics::engine::Store {
    match reading {
        reports::Reading::Public(published) => &published.store,
        _ => live,
    }
}

/// The window asked for, or the funder's default one.
async fn report_window(
    db: &DatabaseConnection,
    store: &crate::analytics::engine::Store,
    funder: uuid::Uuid,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Result<b2h_report::Window, CliError> {
    let window = match (from, to) {
        (Some(from), Some(to)) if to < from => {
            return Err(CliError::Report(format!(
                "--to {to} is before --from {from}"
            )));
        }
        (Some(from), Some(to)) => {
            let window = b2h_report::Window { from, to };
            reports::check_window(window).map_err(CliError::Report)?;
            Some(window)
        }
        _ => reports::default_window(db, store, funder, chrono::Utc::now().date_naive()).await?,
    };
    window.ok_or_else(|| CliError::Report("no window could be chosen".into()))
}

/// Exports read the database as it is: a schema behind the binary's is refused, not migrated.
async fn export_command(
    args: &ExportArgs,
    url: &DatabaseUrl,
    db: &DatabaseConnection,
    out: &mut impl Write,
) -> Result<(), CliError> {
    require_current_schema(db).await?;
    if let Some(ExportWhat::Grants(grants)) = &args.what {
        return export_grants(grants, db, out).await;
    }
    if args.print_queries {
        let postgres = db.get_database_backend() == sea_orm::DbBackend::Postgres;
        for (table, sql, partition) in b2h_export::queries(postgres) {
            let line =
                serde_json::json!({ "table": table, "sql": sql, "partitionByYear": partition });
            writeln!(out, "{line}")?;
        }
        return Ok(());
    }
    let destination: b2h_export::Destination =
        args.out.as_deref().ok_or(CliError::NoExportOut)?.parse()?;
    let options = exporter::options(args.keep.map(|k| k as usize), args.no_progress);
    if let Some(every) = args.every {
        exporter::run_worker(db, &destination, every, &options, server::shutdown_signal()).await;
        return Ok(());
    }
    let published = b2h_export::export(db, &destination, &options).await?;
    let m = &published.manifest;
    writeln!(
        out,
        "Exported snapshot {} of {url} to {}: {} rows in {} tables, {} bytes.",
        m.snapshot_id,
        published.location,
        thousands(m.total_rows()),
        m.tables.len(),
        thousands(m.total_bytes()),
    )?;
    Ok(())
}

/// Writes the grants as a 360Giving package to a file (by rename, so never half-written) or to
/// standard output.
async fn export_grants(
    args: &ExportGrantsArgs,
    db: &DatabaseConnection,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let GrantFormat::Giving360 = args.format;
    let info = crate::export360::PackageInfo {
        publisher_name: args.publisher_name.clone(),
        issued: chrono::Utc::now().date_naive(),
    };
    let package = crate::export360::package(db, &info).await?;
    let grants = package["grants"].as_array().map_or(0, Vec::len);
    let mut text = serde_json::to_string_pretty(&package).map_err(std::io::Error::other)?;
    text.push('\n');
    match &args.out {
        None => out.write_all(text.as_bytes())?,
        Some(path) => {
            write_whole(path, text.as_bytes())?;
            writeln!(
                out,
                "Exported {grants} grants to {} (360Giving {}).",
                path.display(),
                crate::export360::STANDARD_VERSION
            )?;
        }
    }
    Ok(())
}

async fn serve(
    args: &ServeArgs,
    url: &DatabaseUrl,
    db: &DatabaseConnection,
    out: &mut impl Write,
) -> Result<(), CliError> {
    if !args.no_migrate {
        migrate::up(db).await.map_err(CliError::Migrate)?;
    }
    if args.demo {
        let options = SeedOptions {
            progress: true,
            ..SeedOptions::demo()
        };
        match seed::seed(db, options).await {
            Ok(summary) => tracing::info!(records = summary.records, "loaded the demo data"),
            Err(SeedError::NotEmpty { .. }) => {
                tracing::info!("the database holds data: no demo data loaded")
            }
            Err(e) => return Err(e.into()),
        }
    }
    let config = ServerConfig {
        listen: args.listen,
        cors_origins: args
            .cors_origins
            .iter()
            .map(|o| o.trim().to_owned())
            .filter(|o| !o.is_empty())
            .collect(),
        request_timeout: std::time::Duration::from_secs(args.request_timeout.max(1)),
        rate_limit_per_minute: args.rate_limit,
        export_destination: args.export_out.as_deref().map(str::parse).transpose()?,
        publish_every: args.publish_every,
        ..ServerConfig::default()
    };
    let app = Application::build(&config, db.clone()).await?;
    let address = app.local_addr();
    writeln!(
        out,
        "b2h is serving {url} at http://{address}/graphql (Ctrl-C to stop)"
    )?;
    out.flush()?;
    tracing::info!(%address, database = %url, "listening");
    app.run_until(server::shutdown_signal()).await?;
    Ok(())
}

/// `1234567` as `1,234,567` (the reports' formatting, one implementation).
pub fn thousands(n: u64) -> String {
    b2h_report::format::int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn write_seed_report(
    out: &mut impl Write,
    url: &DatabaseUrl,
    s: &seed::SeedSummary,
    supported: &stats::Supported,
) -> std::io::Result<()> {
    writeln!(
        out,
        "Seeded synthetic demo data (not real figures) into {url} in {:.1} s",
        s.elapsed.as_secs_f64()
    )?;
    writeln!(
        out,
        "  periods        {} to {} ({} months, seed {})",
        s.first_month, s.last_month, s.shape.months, s.shape.seed
    )?;
    writeln!(
        out,
        "  organisations  {}",
        thousands(s.organisations as u64)
    )?;
    writeln!(out, "  funders        {}", thousands(s.funders as u64))?;
    writeln!(out, "  projects       {}", thousands(s.projects as u64))?;
    writeln!(
        out,
        "  grants         {} ({} allocations)",
        thousands(s.grants as u64),
        thousands(s.allocations as u64)
    )?;
    writeln!(
        out,
        "  records        {} ({} drafts)",
        thousands(s.records),
        thousands(s.draft_records)
    )?;
    write_supported(out, supported)
}

fn write_supported(out: &mut impl Write, supported: &stats::Supported) -> std::io::Result<()> {
    writeln!(
        out,
        "People supported (submitted and verified records, counted in SQL):"
    )?;
    writeln!(
        out,
        "  patients and service users  {:>9}",
        thousands(supported.patients)
    )?;
    writeln!(
        out,
        "  staff                       {:>9}",
        thousands(supported.staff)
    )?;
    writeln!(
        out,
        "  volunteers                  {:>9}",
        thousands(supported.volunteers)
    )?;
    writeln!(
        out,
        "  total                       {:>9} of {} ({:.1}%)",
        thousands(supported.total()),
        thousands(supported.target),
        supported.total() as f64 * 100.0 / supported.target.max(1) as f64
    )?;
    Ok(())
}

/// Who runs the CLI, for the audit trail.
fn cli_actor() -> String {
    Actor::operator().label()
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::ReadFile {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Every problem of a refused import, one per line.
fn problem_list(heading: &str, lines: impl Iterator<Item = String>) -> CliError {
    let mut text = heading.to_owned();
    for line in lines {
        text.push_str("\n  ");
        text.push_str(&line);
    }
    CliError::Rejected(text)
}

async fn import_command(
    what: &ImportWhat,
    db: &DatabaseConnection,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let actor = Actor::operator();
    match what {
        ImportWhat::Outcomes(args) => {
            let Some(path) = &args.file else {
                return Ok(());
            };
            let bytes = read_file(path)?;
            let mut bar: Option<progress::Progress> = None;
            let enabled = !args.no_progress;
            let result =
                import::outcomes::import(
                    db,
                    &actor,
                    &bytes,
                    args.dry_run,
                    &mut |p| match &mut bar {
                        None => bar = Some(progress::Progress::new("rows", p.total, enabled)),
                        Some(bar) => bar.inc(p.done),
                    },
                )
                .await;
            if let Some(bar) = bar {
                bar.finish();
            }
            let summary = match result {
                Ok(summary) => summary,
                Err(WriteError::Invalid(problems)) => {
                    return Err(problem_list(
                        &format!(
                            "{} problem(s) in {}; nothing was written:",
                            problems.len(),
                            path.display()
                        ),
                        problems.iter().map(|p| p.to_string()),
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            writeln!(
                out,
                "{} {}: {} created, {} updated, {} unchanged.",
                if args.dry_run {
                    "Checked (dry run, nothing written)"
                } else {
                    "Imported"
                },
                path.display(),
                summary.created,
                summary.updated,
                summary.unchanged
            )?;
        }
        ImportWhat::Grants(args) => {
            let bytes = read_file(&args.file)?;
            let mut bar: Option<progress::Progress> = None;
            let enabled = !args.no_progress;
            let form =
                import::giving360::Form::of(args.file.extension().and_then(|e| e.to_str()), &bytes);
            let options = import::grants::GrantImportOptions {
                form,
                dry_run: args.dry_run,
                skip_invalid: args.skip_invalid,
                publisher: args.publisher.as_deref(),
            };
            let result =
                import::grants::import(db, &actor, &bytes, options, &mut |p| match &mut bar {
                    None => {
                        let mut b = progress::Progress::new("grants", p.total, enabled);
                        b.inc(p.done);
                        bar = Some(b);
                    }
                    Some(bar) => bar.inc(1),
                })
                .await;
            if let Some(bar) = bar {
                bar.finish();
            }
            let rejected_line = |r: &import::giving360::Rejected| {
                format!(
                    "{} ({}): {}",
                    r.position(),
                    r.identifier.as_deref().unwrap_or("no id"),
                    r.reason
                )
            };
            let summary = match result {
                Ok(summary) => summary,
                Err(GrantImportError::Rejected(rejected)) => {
                    return Err(problem_list(
                        &format!(
                            "{} of the grants in {} cannot be imported, so nothing was written \
                             (--skip-invalid imports the rest):",
                            rejected.len(),
                            args.file.display()
                        ),
                        rejected.iter().map(rejected_line),
                    ));
                }
                Err(e @ (GrantImportError::File(_) | GrantImportError::UnknownPublisher(_))) => {
                    return Err(CliError::Rejected(format!("{}: {e}", args.file.display())));
                }
                Err(GrantImportError::Write(e)) => return Err(e.into()),
            };
            writeln!(
                out,
                "{} {}: {} grants created, {} updated, {} unchanged; {} organisations and {} funders created; {} skipped.",
                if args.dry_run {
                    "Checked (dry run, nothing written)"
                } else {
                    "Imported"
                },
                args.file.display(),
                summary.created,
                summary.updated,
                summary.unchanged,
                summary.organisations_created,
                summary.funders_created,
                summary.rejected.len()
            )?;
            write_grant_notes(out, &summary)?;
            for r in &summary.rejected {
                writeln!(out, "  skipped {}", rejected_line(r))?;
            }
        }
    }
    Ok(())
}

/// Examples of ambiguous dates printed at most.
const AMBIGUOUS_EXAMPLES: usize = 5;

/// What an import read that its reader should know: funders found by name or given to the
/// publisher, titles supplied, and dates read day first that could be read month first.
fn write_grant_notes(
    out: &mut impl Write,
    summary: &import::grants::GrantImportSummary,
) -> std::io::Result<()> {
    if summary.funders_by_name > 0 {
        writeln!(
            out,
            "  {} grants named their funder without an identifier: matched by name.",
            summary.funders_by_name
        )?;
    }
    if summary.by_publisher > 0 {
        writeln!(
            out,
            "  {} grants given to the publisher (--publisher).",
            summary.by_publisher
        )?;
    }
    if summary.untitled > 0 {
        writeln!(
            out,
            "  {} grants had no title: named 'Grant to <recipient>'.",
            summary.untitled
        )?;
    }
    if !summary.ambiguous.is_empty() {
        writeln!(
            out,
            "  {} ambiguous dates (day and month both 12 or less) read day first, e.g.:",
            summary.ambiguous.len()
        )?;
        for a in summary.ambiguous.iter().take(AMBIGUOUS_EXAMPLES) {
            let at = a
                .row
                .map_or(format!("grant {}", a.index), |row| format!("row {row}"));
            writeln!(
                out,
                "    {at} ({}): {} '{}' read as {}",
                a.identifier, a.date.field, a.date.text, a.date.read_as
            )?;
        }
    }
    Ok(())
}

async fn apikey_command(
    action: &ApikeyAction,
    db: &DatabaseConnection,
    out: &mut impl Write,
) -> Result<(), CliError> {
    match action {
        ApikeyAction::Create(args) => {
            let actor = cli_actor();
            let created = apikey::create(
                db,
                NewKey {
                    name: &args.name,
                    role: args.role.into(),
                    organisation: args.organisation.as_deref(),
                    funder: args.funder.as_deref(),
                    expires: args.expires,
                    actor: &actor,
                },
            )
            .await?;
            writeln!(out, "{}", created.secret)?;
            writeln!(
                out,
                "Made {} key '{}' (id {}, prefix {}). Keep the secret above: it is not shown again.",
                created.key.role.as_str(),
                created.key.name,
                created.key.id,
                created.key.key_prefix
            )?;
        }
        ApikeyAction::List => {
            let keys = apikey::list(db).await?;
            writeln!(
                out,
                "{:<36}  {:<12}  {:<9}  {:<10}  {:<20}  {:<20}  name",
                "id", "prefix", "role", "state", "expires", "last used"
            )?;
            let now = chrono::Utc::now();
            for key in keys {
                let state = if key.revoked_at.is_some() {
                    "revoked"
                } else if key.expires_at.is_some_and(|t| t <= now) {
                    "expired"
                } else {
                    "active"
                };
                let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
                    t.map_or("-".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string())
                };
                writeln!(
                    out,
                    "{:<36}  {:<12}  {:<9}  {:<10}  {:<20}  {:<20}  {}",
                    key.id,
                    key.key_prefix,
                    key.role.as_str(),
                    state,
                    time(key.expires_at),
                    time(key.last_used_at),
                    key.name
                )?;
            }
        }
        ApikeyAction::Revoke { key } => {
            let revoked = apikey::revoke(db, key, &cli_actor()).await?;
            writeln!(
                out,
                "Revoked key '{}' (id {}, prefix {}).",
                revoked.name, revoked.id, revoked.key_prefix
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(623_774), "623,774");
        assert_eq!(super::thousands(1_000_000), "1,000,000");
    }
}
