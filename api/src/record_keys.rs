//! Every outcome record's disclosure key: the first byte of an HMAC-SHA256 of its id under the
//! installation's secret (made by migration 11, fixed by the demo seed), stored in
//! `outcome_record_key` by every write path in its transaction. Public cells take their cell key
//! from their records' keys (`analytics::disclosure`).

use crate::digest::hmac_sha256;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};
use uuid::Uuid;

/// Record keys run from 0 to `RECORD_KEY_RANGE - 1`.
pub const RECORD_KEY_RANGE: u32 = 256;

/// A record's key: the first byte of HMAC-SHA256(secret, record id): uniform on 0-255 and
/// unpredictable without the secret.
pub fn record_key(secret: &[u8], record_id: Uuid) -> i16 {
    i16::from(hmac_sha256(secret, record_id.as_bytes())[0])
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
