//! `kycmedia keys …`: master keys, and moving stored data under them.

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::Value;

use crate::{
    config::{DatabaseArgs, StorageArgs},
    keys, rekey, store,
};

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Print a new master key, as the line a key file holds:
    /// `kycmedia keys generate > master.key && chmod 600 master.key`.
    Generate,
    /// What is sealed under which master key, and what is still plaintext.
    Status {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Re-wrap every data key and re-seal every shared secret under the
    /// first key of --master-key-file, which must list the old key(s) after
    /// it. Objects are not rewritten. Resumable; servers given the same
    /// file keep running.
    Rotate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Seal the media objects and shared secrets an installation stored
    /// before it had a master key: each object is sealed, read back and
    /// checked before its plaintext is erased. Resumable. Stop the servers
    /// first.
    EncryptExisting {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

pub(super) async fn run(command: KeysCommand) -> anyhow::Result<Option<Value>> {
    Ok(Some(match command {
        KeysCommand::Generate => {
            println!("{}", keys::generate_line());
            return Ok(None);
        }
        KeysCommand::Status { database } => {
            let store = database.connect().await?;
            serde_json::to_value(rekey::Census::from(store.key_census().await?))?
        }
        KeysCommand::Rotate { database } => {
            let ring = database.keys.ring()?.context("keys rotate needs --master-key-file")?;
            let store = database.connect_with(Some(ring.clone())).await?;
            let report = rekey::rotate(store.as_ref(), &ring).await?;
            super::audit::operator(store.as_ref(), "keys rotate", None, None).await?;
            serde_json::to_value(report)?
        }
        KeysCommand::EncryptExisting { database, storage } => {
            let ring = database
                .keys
                .ring()?
                .context("keys encrypt-existing needs --master-key-file")?;
            // A SQLite database must not have a server writing meanwhile.
            let _lock = store::serve_lock(&database.database)?;
            let store = database.connect_with(Some(ring.clone())).await?;
            let blobs = storage.open()?;
            let report = rekey::encrypt_existing(store.as_ref(), &blobs, &ring).await?;
            super::audit::operator(store.as_ref(), "keys encrypt-existing", None, None).await?;
            serde_json::to_value(report)?
        }
    }))
}
