//! Headline counts read back from the database (for command output and checks).

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

/// People supported by submitted and verified records of the measures that count towards the
/// campaign target, by beneficiary group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Supported {
    /// The Back to Health campaign's people target.
    pub target: u64,
    pub patients: u64,
    pub staff: u64,
    pub volunteers: u64,
}

impl Supported {
    pub fn total(&self) -> u64 {
        self.patients + self.staff + self.volunteers
    }
}

pub async fn supported(db: &DatabaseConnection) -> Result<Supported, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT m.beneficiary AS beneficiary, SUM(r.value) AS total
             FROM outcome_record r JOIN outcome_measure m ON m.id = r.measure_id
             WHERE m.counts_toward_target AND r.status IN ('submitted', 'verified')
               AND r.archived_at IS NULL
             GROUP BY m.beneficiary",
        ))
        .await?;
    let target = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT target_people FROM campaign WHERE name = 'Back to Health'",
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "target_people"))
        .transpose()?
        .unwrap_or_default();
    let mut out = Supported {
        target: target.max(0) as u64,
        ..Supported::default()
    };
    for row in rows {
        let beneficiary: String = row.try_get("", "beneficiary")?;
        let total: f64 = row.try_get("", "total")?;
        let total = total.round() as u64;
        match beneficiary.as_str() {
            "patients" => out.patients = total,
            "staff" => out.staff = total,
            "volunteers" => out.volunteers = total,
            _ => {}
        }
    }
    Ok(out)
}

/// Row counts of the given tables, in order.
pub async fn row_counts(
    db: &DatabaseConnection,
    tables: &[&'static str],
) -> Result<Vec<(&'static str, i64)>, DbErr> {
    let mut out = Vec::with_capacity(tables.len());
    for &table in tables {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await?;
        let n: i64 = match row {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        out.push((table, n));
    }
    Ok(out)
}
