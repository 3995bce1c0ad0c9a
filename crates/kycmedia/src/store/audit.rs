//! The audit trail's chain: how a row's hash is made from the row before,
//! and which rows a listing asks for.

use sha2::{Digest, Sha256};

use super::AuditRecord;
use crate::ids::SessionId;

/// The hash before the first row.
pub const GENESIS: [u8; 32] = [0; 32];

/// SHA-256 of the previous row's hash and every other field of `row`, each
/// length-prefixed so that no two rows encode alike.
pub fn link(previous: &[u8], row: &AuditRecord) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(b"kycmedia audit v1\0");
    hash.update(previous);
    let mut field = |bytes: Option<&[u8]>| match bytes {
        None => hash.update([0]),
        Some(bytes) => {
            hash.update([1]);
            hash.update((bytes.len() as u64).to_be_bytes());
            hash.update(bytes);
        }
    };
    field(Some(&row.seq.to_be_bytes()));
    field(Some(&row.at.to_be_bytes()));
    field(Some(row.actor.as_bytes()));
    field(row.integration_id.as_ref().map(|id| id.as_str().as_bytes()));
    field(row.secret_index.map(i64::to_be_bytes).as_ref().map(|b| &b[..]));
    field(Some(row.action.as_bytes()));
    field(row.session_id.as_ref().map(|id| id.as_str().as_bytes()));
    field(row.attempt_id.as_ref().map(|id| id.as_str().as_bytes()));
    field(row.media_id.as_ref().map(|id| id.as_str().as_bytes()));
    field(row.client.as_deref().map(str::as_bytes));
    field(Some(&row.status.to_be_bytes()));
    field(Some(&row.count.to_be_bytes()));
    field(Some(&row.last_at.to_be_bytes()));
    // Added with the review console: hashed only when present, so that
    // every row written before it still links as it did.
    if let Some(reviewer) = &row.reviewer_id {
        field(Some(reviewer.as_str().as_bytes()));
    }
    hash.finalize().to_vec()
}

/// Which rows `Store::audit_records` lists.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub session: Option<SessionId>,
    /// At or after this time (ms).
    pub since: Option<i64>,
}
