//! One integration-test binary: every test spawns the real server on
//! 127.0.0.1:0 with a temporary SQLite file and media directory and drives
//! it over HTTP.

mod auth;
mod cli;
mod errors;
mod helpers;
mod lifecycle;
mod limits;
mod media;
mod ops;
mod ranking;
