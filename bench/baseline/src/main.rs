//! The benchmark's baseline: a bare axum server that answers
//! `GET /v1/attempts/{id}/media` with fixed bytes read from a file at start-up.
//! No database, no authentication, no signing, no logging, no middleware: the
//! floor that kycmedia's own handler is compared against (see
//! `docs/benchmarks.md`).

use std::{net::SocketAddr, path::PathBuf};

use axum::{Router, body::Bytes, http::header::CONTENT_TYPE, routing::get};
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// File whose exact bytes every request is answered with.
    #[arg(long)]
    body: PathBuf,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let body = Bytes::from(std::fs::read(&args.body)?);
    let app = Router::new().route(
        "/v1/attempts/{id}/media",
        get(move || async move { ([(CONTENT_TYPE, "application/json")], body.clone()) }),
    );
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    // The first stdout line is the bound address, for the script to read.
    println!("{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
