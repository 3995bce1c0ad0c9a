//! The `kycmedia` binary: parse the command line and hand over.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    kycmedia::cli::run(kycmedia::cli::Cli::parse()).await
}
