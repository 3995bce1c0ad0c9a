//! The SDK against the real kycmedia server, spawned in-process on
//! 127.0.0.1:0 with a temporary SQLite file and media directory. One test
//! binary, so that the server is linked once.

mod errors;
mod methods;
mod proxy;
mod readme;
mod retries;
mod rotation;
mod server;
mod tampering;
