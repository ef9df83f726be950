//! Disclosure keys: an installation secret, made once, and one key per outcome record (0-255),
//! an HMAC-SHA256 of the record's id under the secret. Public cells take their cell key from
//! their records' keys (see `analytics::disclosure` in the API). Keys are kept beside the records
//! in their own table, which no export lists: knowing them would let a reader undo the noise.

use crate::dialect::{Dialect, drop_tables, run};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Record keys run from 0 to `RECORD_KEY_RANGE - 1`.
pub const RECORD_KEY_RANGE: u32 = 256;

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

/// A record's key: the first byte of HMAC-SHA256(secret, record id): uniform on 0-255 and
/// unpredictable without the secret.
pub fn record_key(secret: &[u8], record_id: Uuid) -> i16 {
    i16::from(hmac_sha256(secret, record_id.as_bytes())[0])
}

/// Lower-case hex of `bytes`.
fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a hex string; `None` when it is not one.
fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The installation's secret.
pub async fn installation_secret(db: &impl ConnectionTrait) -> Result<Vec<u8>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT disclosure_secret FROM installation WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the installation row".into()))?;
    let text: String = row.try_get("", "disclosure_secret")?;
    from_hex(&text).ok_or_else(|| DbErr::Custom("the installation secret is not hex".into()))
}

/// Replaces the installation's secret (the demo seed's is fixed, so that demo answers are
/// reproducible); only before any record has a key.
pub async fn set_installation_secret(
    db: &impl ConnectionTrait,
    secret: &[u8; 32],
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let p = placeholder(backend, 1);
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        format!("UPDATE installation SET disclosure_secret = {p} WHERE id = 1"),
        [Value::from(to_hex(secret))],
    ))
    .await?;
    Ok(())
}

fn placeholder(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

/// Stores the keys of the records `ids` (new records: every write path calls this in its
/// transaction).
pub async fn insert_record_keys(
    db: &impl ConnectionTrait,
    secret: &[u8],
    ids: &[Uuid],
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    for chunk in ids.chunks(400) {
        let mut values = Vec::with_capacity(chunk.len() * 2);
        let mut rows = Vec::with_capacity(chunk.len());
        for (i, id) in chunk.iter().enumerate() {
            rows.push(format!(
                "({}, {})",
                placeholder(backend, 2 * i + 1),
                placeholder(backend, 2 * i + 2)
            ));
            values.push(Value::from(*id));
            values.push(Value::from(record_key(secret, *id)));
        }
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO outcome_record_key (record_id, record_key) VALUES {}",
                rows.join(", ")
            ),
            values,
        ))
        .await?;
    }
    Ok(())
}

/// Gives every record without a key its key (the migration's backfill, and a repair before each
/// publication); returns how many it gave.
pub async fn fill_missing_record_keys(db: &impl ConnectionTrait) -> Result<usize, DbErr> {
    let secret = installation_secret(db).await?;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT r.id AS id FROM outcome_record r
             WHERE NOT EXISTS (SELECT 1 FROM outcome_record_key k WHERE k.record_id = r.id)",
        ))
        .await?;
    let ids = rows
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id"))
        .collect::<Result<Vec<_>, _>>()?;
    insert_record_keys(db, &secret, &ids).await?;
    Ok(ids.len())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let d = Dialect::of(manager);
        let Dialect { uuid, ts, .. } = d;
        // 32 random bytes as hex, from the database's own generator (cryptographic on both).
        let random_secret = if d.is_postgres() {
            "replace(CAST(gen_random_uuid() AS text), '-', '') \
             || replace(CAST(gen_random_uuid() AS text), '-', '')"
        } else {
            "lower(hex(randomblob(32)))"
        };
        let now = if d.is_postgres() {
            "now()"
        } else {
            "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')"
        };
        run(
            manager,
            &[
                format!(
                    "CREATE TABLE installation (
                        id integer PRIMARY KEY CHECK (id = 1),
                        disclosure_secret text NOT NULL CHECK (length(disclosure_secret) = 64),
                        created_at {ts} NOT NULL
                    )"
                ),
                format!(
                    "INSERT INTO installation (id, disclosure_secret, created_at)
                     VALUES (1, {random_secret}, {now})"
                ),
                format!(
                    "CREATE TABLE outcome_record_key (
                        record_id {uuid} PRIMARY KEY
                            REFERENCES outcome_record (id) ON DELETE CASCADE,
                        record_key smallint NOT NULL
                            CHECK (record_key BETWEEN 0 AND {max})
                    )",
                    max = RECORD_KEY_RANGE - 1
                ),
            ],
        )
        .await?;
        fill_missing_record_keys(manager.get_connection()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["outcome_record_key", "installation"]).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
