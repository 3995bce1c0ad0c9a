//! kycmedia: a self-hosted identity-verification media server speaking the
//! media slice of a Veriff-compatible Public API v1.

/// Operator commands: integrations, secrets, decisions.
pub mod admin;
/// What a tenant, an address and everyone together may hold: rates, body
/// bytes in memory, analysis slots.
pub mod admission;
/// The threads pixel analyses run on, below the request threads' priority.
pub mod analysis_pool;
/// `kycmedia analyze`: the ranking analysis of local files.
pub mod analyze;
/// The server process: bind, open the state, serve, shut down.
pub mod app;
/// The access audit trail: one hash-chained row per access.
pub mod audit;
/// Media bytes in an object store.
pub mod blobs;
/// Reading JSON request bodies with the contract's error codes.
pub mod body;
/// Which build this is: version and commit.
pub mod build_info;
/// The store with a media-list cache in front: writes drop what they change.
pub mod cached_store;
/// The capture page at `verification.url`, for the end user.
pub mod capture;
/// The command line.
pub mod cli;
/// Flags and environment variables, and their defaults.
pub mod config;
/// The TOML configuration file under the flags and environment.
pub mod config_file;
/// Serving connections: head and idle timeouts, a cap, graceful shutdown.
pub mod conn;
/// The review console at `/console`, for the people who decide.
pub mod console;
/// The self-contained demo.
pub mod demo;
/// `kycmedia doctor`: checking an installation before starting it.
pub mod doctor;
/// The application error type.
pub mod error;
/// Ending sessions that outlived their lifetime unsubmitted.
pub mod expiry;
/// Private (0700/0600) directories and files for the database and media.
pub mod fsmode;
/// Text put into server-rendered HTML.
pub mod html;
/// The HTTP API.
pub mod http;
/// Fresh ids and the clock.
pub mod ids;
/// Uploading one file.
pub mod ingest;
/// Integrations by API key, cached for a moment.
pub mod integration_cache;
/// Master keys, data keys, and the sealed format of stored objects.
pub mod keys;
/// A session's life from creation to deletion.
pub mod lifecycle;
/// `kycmedia webhooks listen`: a local receiver that prints and forwards.
pub mod listen;
/// Rendered media lists cached by a server that owns its database.
pub mod media_cache;
/// `migrate-db` and `migrate-store`: moving an installation between backends.
pub mod migrate;
/// Stored objects: sealed at rest, plaintext to the layers above.
pub mod objects;
/// `keys rotate` and `keys encrypt-existing`.
pub mod rekey;
/// `kycmedia api …`: the API from the command line, through the SDK.
pub mod remote;
/// Reviewers of the console: accounts, passwords, logged-in browsers.
pub mod reviewers;
/// What every handler and command shares: store, blobs, settings, caches.
pub mod state;
/// Metadata storage.
pub mod store;
/// Erasing bytes no row points at.
pub mod sweep;
/// Logs and metrics.
pub mod telemetry;
/// A real server for the test suites of this crate and the SDK.
#[doc(hidden)]
pub mod testing;
/// Delivering the webhook outbox: leases, signing, retries, guarded receivers.
pub mod webhooks;
