//! The command line: the embedded default database, configuration errors, help.

use b2h_tests::{TestBackend, TestDb, b2h_with};

#[tokio::test]
async fn default_database_is_an_embedded_sqlite_file() {
    let dir = std::env::temp_dir().join(format!("b2h-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = b2h_with(&["seed", "--no-progress"], &[], Some(&dir)).ok();
    assert!(
        dir.join("b2h.db").is_file(),
        "b2h.db created in the working directory"
    );
    assert!(
        out.stdout.contains("sqlite://b2h.db?mode=rwc"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("623,774 of 1,000,000"),
        "{}",
        out.stdout
    );
    let status = b2h_with(&["migrate", "status"], &[], Some(&dir)).ok();
    assert!(!status.stdout.contains("pending"), "{}", status.stdout);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn bad_database_urls_get_clear_errors() {
    let cases = [
        ("mysql://root@localhost/b2h", "unsupported scheme 'mysql'"),
        ("b2h.db", "has no scheme"),
        ("", "DATABASE_URL is empty"),
        (
            "postgres://postgres@127.0.0.1:notaport/b2h",
            "not a valid URL",
        ),
        (
            "sqlite:///nonexistent-dir/deeper/b2h.db?mode=rwc",
            "does its directory exist",
        ),
    ];
    for (url, message) in cases {
        b2h_with(&["migrate"], &[("DATABASE_URL", url)], None).fails_with(message);
    }
}

#[tokio::test]
async fn unreachable_postgres_is_named_without_its_password() {
    // Port 1 on loopback: nothing listens there.
    let run = b2h_with(
        &["migrate"],
        &[("DATABASE_URL", "postgres://app:s3cret@127.0.0.1:1/b2h")],
        None,
    )
    .fails_with("cannot connect to PostgreSQL at 127.0.0.1:1/b2h");
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
}

#[tokio::test]
async fn missing_postgres_database_is_named() {
    let Some(db) = TestDb::new(TestBackend::Postgres).await else {
        return;
    };
    let mut url = url::Url::parse(db.url()).unwrap();
    url.set_path("b2h_no_such_database");
    b2h_with(&["migrate"], &[("DATABASE_URL", url.as_str())], None).fails_with("does not exist");
}

#[tokio::test]
async fn help_documents_commands_and_configuration() {
    let help = b2h_with(&["--help"], &[], None).ok().stdout;
    for needle in [
        "migrate",
        "seed",
        "DATABASE_URL",
        "RUST_LOG_FORMAT",
        "sqlite://b2h.db?mode=rwc",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
    let seed_help = b2h_with(&["seed", "--help"], &[], None).ok().stdout;
    for needle in ["--projects", "--months", "--scale", "national", "--seed"] {
        assert!(
            seed_help.contains(needle),
            "seed --help lacks {needle}:\n{seed_help}"
        );
    }
}

#[tokio::test]
async fn postgres_connections_reuse_generic_plans() {
    // b2h's statements are prepared per connection; PostgreSQL re-planning them on every
    // execution cost more than running them (docs/benchmarks.md).
    let Some(db) = TestDb::new(TestBackend::Postgres).await else {
        return;
    };
    let conn = db.connect().await;
    let rows = b2h_tests::rows(&conn, "SELECT current_setting('plan_cache_mode') AS mode").await;
    conn.close().await.ok();
    assert_eq!(rows[0]["mode"], "force_generic_plan");
}
