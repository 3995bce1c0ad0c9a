//! The API suite again, on PostgreSQL and an S3-compatible server (moto),
//! both real and started by the harness (`services`), plus what only
//! several servers on shared storage can show: two servers serving one
//! installation, and moving an installation there from the embedded default.
//!
//! The shared modules are the very files of `tests/api`; only `BACKEND`
//! differs, and `helpers` gives each test a database and bucket of its own.

#[path = "../api/audit.rs"]
mod audit;
#[path = "../api/auth.rs"]
mod auth;
#[path = "../api/capture.rs"]
mod capture;
#[path = "../api/console.rs"]
mod console;
#[path = "../api/content.rs"]
mod content;
#[path = "../api/crash.rs"]
mod crash;
#[path = "../api/decisions.rs"]
mod decisions;
#[path = "../api/encryption.rs"]
mod encryption;
#[path = "../api/errors.rs"]
mod errors;
#[path = "../api/helpers.rs"]
mod helpers;
#[path = "../api/lifecycle.rs"]
mod lifecycle;
#[path = "../api/limits.rs"]
mod limits;
#[path = "../api/media.rs"]
mod media;
mod migrate;
#[path = "../api/ops.rs"]
mod ops;
#[path = "../api/ranking.rs"]
mod ranking;
#[path = "../api/receiver.rs"]
mod receiver;
#[path = "../api/replay.rs"]
mod replay;
mod scale_out;
#[path = "../api/schema.rs"]
mod schema;
#[path = "../api/services.rs"]
mod services;
#[path = "../api/store_inspect.rs"]
mod store_inspect;
#[path = "../api/streaming.rs"]
mod streaming;
#[path = "../api/transitions.rs"]
mod transitions;
#[path = "../api/webhooks.rs"]
mod webhooks;

const BACKEND: helpers::Backend = helpers::Backend::Postgres;
