//! The `kycmedia` binary: parse the command line and hand over.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match kycmedia::cli::parse(std::env::args_os().collect()) {
        Ok(cli) => kycmedia::cli::run(cli).await,
        Err(e) => {
            eprintln!("error: {}", kycmedia::error::describe(&e));
            ExitCode::from(2)
        }
    }
}
