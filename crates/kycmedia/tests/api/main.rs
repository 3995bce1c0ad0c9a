//! The API suite on the embedded backend: every test spawns the real server
//! on 127.0.0.1:0 with a temporary SQLite file and media directory and drives
//! it over HTTP. `tests/api_postgres` runs the same suite on PostgreSQL and
//! S3; the modules that name no backend are shared by both.

mod api_command;
mod audit;
mod auth;
mod browser;
mod capture;
mod capture_browser;
mod capture_sdk;
mod cli;
mod command_line;
mod connections;
mod console;
mod console_browser;
mod content;
mod crash;
mod decisions;
mod docs_page;
mod doctor;
mod encryption;
mod errors;
mod helpers;
mod interop;
mod lifecycle;
mod limits;
mod media;
mod ops;
mod ranking;
mod rates;
mod readme;
mod reasons;
mod receiver;
mod replay;
mod schema;
#[allow(dead_code, reason = "only the PostgreSQL suite starts the services")]
mod services;
mod sqlite_only;
mod store_inspect;
mod streaming;
mod thumbnails_and_ranges;
mod transitions;
mod webhooks;

const BACKEND: helpers::Backend = helpers::Backend::Sqlite;
