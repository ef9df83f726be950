//! API keys: made, listed and revoked by `b2h apikey`, checked on every request.
//!
//! A key reads `b2h_<prefix>_<secret>`. The prefix (12 hex digits) finds the row; only the SHA-256
//! of the whole key is stored. A fast hash is right here: the secret is 256 random bits, so there
//! is nothing to guess that a slow hash would protect.

use crate::changes::{Changes, Entity};
use crate::digest::{hex, sha256_hex};
use crate::key_cache::KeyCache;
use crate::write::WriteError;
use crate::write::audit::{self, Change};
use b2h_entity::api_key;
use b2h_entity::enums::ApiRole;
use b2h_entity::{funder, organisation};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

/// Why a key cannot be made, found or revoked.
#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("a {role} key needs --{scope} (a UUID or an Org-ID)")]
    ScopeMissing {
        role: &'static str,
        scope: &'static str,
    },
    #[error("--{scope} does not apply to a {role} key")]
    ScopeNotAllowed {
        role: &'static str,
        scope: &'static str,
    },
    #[error("no organisation has the id or Org-ID '{0}'")]
    UnknownOrganisation(String),
    #[error("no funder has the id or Org-ID '{0}'")]
    UnknownFunder(String),
    #[error("the expiry date {0} is not in the future")]
    ExpiryInThePast(NaiveDate),
    #[error("the key name must not be blank")]
    BlankName,
    #[error("no API key has the id or prefix '{0}'")]
    NotFound(String),
    #[error("the operating system gave no random bytes: {0}")]
    Random(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// What a new key is for.
pub struct NewKey<'a> {
    pub name: &'a str,
    pub role: ApiRole,
    /// UUID or Org-ID of a partner key's organisation.
    pub organisation: Option<&'a str>,
    /// UUID or Org-ID of a funder key's funder.
    pub funder: Option<&'a str>,
    /// Last day the key works (UTC).
    pub expires: Option<NaiveDate>,
    /// Who makes it, for the audit trail (`cli:<user>`).
    pub actor: &'a str,
}

/// A made key: its row and the secret, shown once.
pub struct CreatedKey {
    pub key: api_key::Model,
    pub secret: String,
}

fn random_bytes<const N: usize>() -> Result<[u8; N], ApiKeyError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| ApiKeyError::Random(e.to_string()))?;
    Ok(bytes)
}

/// SHA-256 of a whole key, in hex: what is stored.
pub fn hash_secret(secret: &str) -> String {
    sha256_hex(secret)
}

/// The prefix of a well-formed key.
pub fn prefix_of(secret: &str) -> Option<&str> {
    let rest = secret.strip_prefix("b2h_")?;
    let (prefix, body) = rest.split_once('_')?;
    (prefix.len() == 12 && prefix.bytes().all(|b| b.is_ascii_hexdigit()) && body.len() >= 40)
        .then_some(prefix)
}

async fn find_organisation(
    db: &impl ConnectionTrait,
    reference: &str,
) -> Result<Uuid, ApiKeyError> {
    let found = match reference.parse::<Uuid>() {
        Ok(id) => organisation::Entity::find_by_id(id).one(db).await?,
        Err(_) => {
            organisation::Entity::find()
                .filter(organisation::Column::OrgId.eq(reference))
                .one(db)
                .await?
        }
    };
    found
        .map(|o| o.id)
        .ok_or_else(|| ApiKeyError::UnknownOrganisation(reference.to_owned()))
}

/// The funder a UUID or an Org-ID names.
pub async fn find_funder(db: &impl ConnectionTrait, reference: &str) -> Result<Uuid, ApiKeyError> {
    let found = match reference.parse::<Uuid>() {
        Ok(id) => funder::Entity::find_by_id(id).one(db).await?,
        Err(_) => {
            funder::Entity::find()
                .filter(funder::Column::OrgId.eq(reference))
                .one(db)
                .await?
        }
    };
    found
        .map(|f| f.id)
        .ok_or_else(|| ApiKeyError::UnknownFunder(reference.to_owned()))
}

/// The key as the audit trail and `list` show it: never its hash.
fn public_view(key: &api_key::Model) -> serde_json::Value {
    serde_json::json!({
        "id": key.id,
        "name": key.name,
        "role": key.role.as_str(),
        "organisationId": key.organisation_id,
        "funderId": key.funder_id,
        "keyPrefix": key.key_prefix,
        "expiresAt": key.expires_at,
        "revokedAt": key.revoked_at,
    })
}

async fn audit(
    db: &impl ConnectionTrait,
    actor: &str,
    action: &str,
    key: &api_key::Model,
    before: Option<serde_json::Value>,
) -> Result<(), ApiKeyError> {
    let change = Change {
        action,
        entity_type: "api_key",
        entity_id: Some(key.id),
        before,
        after: Some(public_view(key)),
    };
    audit::record_as(db, actor, None, change)
        .await
        .map_err(|e| match e {
            WriteError::Db(e) => ApiKeyError::Db(e),
            other => ApiKeyError::Db(DbErr::Custom(other.to_string())),
        })
}

/// Makes a key and its audit event in one transaction; the secret is returned once.
pub async fn create(db: &DatabaseConnection, new: NewKey<'_>) -> Result<CreatedKey, ApiKeyError> {
    let name = new.name.trim();
    if name.is_empty() {
        return Err(ApiKeyError::BlankName);
    }
    let role_name = new.role.as_str();
    match (new.role, new.organisation, new.funder) {
        (ApiRole::Partner, None, _) => {
            return Err(ApiKeyError::ScopeMissing {
                role: role_name,
                scope: "organisation",
            });
        }
        (ApiRole::Funder, _, None) => {
            return Err(ApiKeyError::ScopeMissing {
                role: role_name,
                scope: "funder",
            });
        }
        (role, Some(_), _) if role != ApiRole::Partner => {
            return Err(ApiKeyError::ScopeNotAllowed {
                role: role_name,
                scope: "organisation",
            });
        }
        (role, _, Some(_)) if role != ApiRole::Funder => {
            return Err(ApiKeyError::ScopeNotAllowed {
                role: role_name,
                scope: "funder",
            });
        }
        _ => {}
    }
    let now = Utc::now();
    let expires_at = match new.expires {
        Some(day) => {
            // The key works through the whole of its last day (UTC).
            let end = (day + chrono::Days::new(1))
                .and_hms_opt(0, 0, 0)
                .map(|t| DateTime::<Utc>::from_naive_utc_and_offset(t, Utc));
            match end {
                Some(end) if end > now => Some(end),
                _ => return Err(ApiKeyError::ExpiryInThePast(day)),
            }
        }
        None => None,
    };
    let prefix = hex(&random_bytes::<6>()?);
    let secret = format!(
        "b2h_{prefix}_{}",
        URL_SAFE_NO_PAD.encode(random_bytes::<32>()?)
    );
    let txn = db.begin().await?;
    let organisation_id = match new.organisation {
        Some(reference) => Some(find_organisation(&txn, reference).await?),
        None => None,
    };
    let funder_id = match new.funder {
        Some(reference) => Some(find_funder(&txn, reference).await?),
        None => None,
    };
    let key = api_key::ActiveModel {
        id: Set(Uuid::from_bytes(random_bytes::<16>()?)),
        name: Set(name.to_owned()),
        role: Set(new.role),
        organisation_id: Set(organisation_id),
        funder_id: Set(funder_id),
        key_prefix: Set(prefix),
        secret_hash: Set(hash_secret(&secret)),
        created_by: Set(new.actor.to_owned()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit(&txn, new.actor, "apikey.create", &key, None).await?;
    crate::changes::commit(txn, &Changes::one(Entity::ApiKey, key.id)).await?;
    Ok(CreatedKey { key, secret })
}

/// Every key, newest first.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<api_key::Model>, ApiKeyError> {
    Ok(api_key::Entity::find()
        .order_by_desc(api_key::Column::CreatedAt)
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await?)
}

/// Revokes the key with this id or prefix (revoking twice keeps the first time).
pub async fn revoke(
    db: &DatabaseConnection,
    reference: &str,
    actor: &str,
) -> Result<api_key::Model, ApiKeyError> {
    let txn = db.begin().await?;
    let found = match reference.parse::<Uuid>() {
        Ok(id) => api_key::Entity::find_by_id(id).one(&txn).await?,
        Err(_) => {
            api_key::Entity::find()
                .filter(api_key::Column::KeyPrefix.eq(reference))
                .one(&txn)
                .await?
        }
    };
    let key = found.ok_or_else(|| ApiKeyError::NotFound(reference.to_owned()))?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let before = public_view(&key);
    let mut active = key.into_active_model();
    active.revoked_at = Set(Some(Utc::now()));
    let key = active.update(&txn).await?;
    audit(&txn, actor, "apikey.revoke", &key, Some(before)).await?;
    crate::changes::commit(txn, &Changes::one(Entity::ApiKey, key.id)).await?;
    Ok(key)
}

/// Why a request's key is refused (a 401).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the Authorization header must read 'Bearer <API key>'")]
    NotBearer,
    #[error("this is not a b2h API key (they read b2h_<prefix>_<secret>)")]
    Malformed,
    #[error("unknown API key")]
    Unknown,
    #[error("this API key was revoked")]
    Revoked,
    #[error("this API key expired on {0}")]
    Expired(DateTime<Utc>),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// Equal strings, compared in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// How often `last_used_at` is written for a key in use.
const LAST_USED_EVERY: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// The key an `Authorization` header value names, if it is valid now. Marks it used (at most
/// once a minute, so that busy keys do not write on every request).
/// With `cache` (and the change counter as the request read it), a key already found is
/// checked without reading its row again.
pub async fn authenticate(
    db: &DatabaseConnection,
    cache: Option<(&KeyCache, i64)>,
    header: &str,
) -> Result<api_key::Model, AuthError> {
    let (scheme, token) = header.trim().split_once(' ').ok_or(AuthError::NotBearer)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::NotBearer);
    }
    let token = token.trim();
    let prefix = prefix_of(token).ok_or(AuthError::Malformed)?;
    let (held, seen) = match cache {
        Some((cache, committed)) => cache.get(prefix, committed),
        None => (None, i64::MIN),
    };
    let key = match held {
        Some(key) => key,
        None => api_key::Entity::find()
            .filter(api_key::Column::KeyPrefix.eq(prefix))
            .one(db)
            .await?
            .ok_or(AuthError::Unknown)?,
    };
    if !same(&key.secret_hash, &hash_secret(token)) {
        return Err(AuthError::Unknown);
    }
    let key = admit(db, key).await?;
    if let Some((cache, _)) = cache {
        cache.put(key.clone(), seen);
    }
    Ok(key)
}

/// A found key, refused when revoked or expired, and marked used (at most once a minute). A
/// signed link's key is admitted here once the link's signature holds.
pub async fn admit(
    db: &DatabaseConnection,
    key: api_key::Model,
) -> Result<api_key::Model, AuthError> {
    if key.revoked_at.is_some() {
        return Err(AuthError::Revoked);
    }
    let now = Utc::now();
    if let Some(expired) = key.expires_at.filter(|t| *t <= now) {
        return Err(AuthError::Expired(expired));
    }
    let mut key = key;
    if key.last_used_at.is_none_or(|t| now - t >= LAST_USED_EVERY) {
        api_key::Entity::update_many()
            .col_expr(
                api_key::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(api_key::Column::Id.eq(key.id))
            .exec(db)
            .await?;
        key.last_used_at = Some(now);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_of_keys() {
        let key = format!("b2h_0123456789ab_{}", "x".repeat(43));
        assert_eq!(prefix_of(&key), Some("0123456789ab"));
        assert_eq!(prefix_of("b2h_0123456789ab_short"), None);
        assert_eq!(prefix_of("Bearer something"), None);
        assert_eq!(
            prefix_of(&format!("b2h_0123456789zz_{}", "x".repeat(43))),
            None
        );
    }
}
