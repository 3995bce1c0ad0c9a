//! `kycmedia webhooks listen`: a local webhook receiver for integrators. It
//! prints each webhook it receives as one JSON line (headers, body, and
//! whether the signature verifies with the secret given) and can forward it,
//! byte for byte and with its headers, to the integrator's own handler,
//! answering with that handler's status so that kycmedia's retries see it.

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context as _;
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, Uri},
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::config::{defaults, secret};

/// `kycmedia webhooks listen`'s arguments.
#[derive(clap::Args, Debug)]
pub struct ListenArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = defaults::WEBHOOK_LISTEN)]
    pub listen: SocketAddr,
    /// The integration's shared secret, to check each webhook's signature.
    #[arg(long, env = "KYCMEDIA_SHARED_SECRET", value_parser = secret)]
    pub secret: Option<SecretString>,
    /// Also POST each webhook, with its headers, to this URL (your handler),
    /// and answer with its status.
    #[arg(long)]
    pub forward_to: Option<url::Url>,
}

/// The headers a webhook is recognised and checked by, printed as received.
const SHOWN: [&str; 6] = [
    "content-type",
    "x-auth-client",
    "x-hmac-signature",
    "x-signature",
    "vrf-hmac-signature",
    kycmedia_proto::webhook::WEBHOOK_ID_HEADER,
];

struct Listener {
    secret: Option<SecretString>,
    forward_to: Option<url::Url>,
    client: reqwest::Client,
}

/// Listens until the process is stopped; the first line printed names the
/// URL to give `integration set-webhooks`.
pub async fn run(args: ListenArgs) -> anyhow::Result<()> {
    let socket = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let url = format!("http://{}", socket.local_addr()?);
    println!("{}", json!({ "listening": url }));
    serve(socket, args.secret, args.forward_to).await
}

/// Serves an already bound socket (the demo binds its own).
pub async fn serve(
    socket: TcpListener,
    secret: Option<SecretString>,
    forward_to: Option<url::Url>,
) -> anyhow::Result<()> {
    let listener = Arc::new(Listener {
        secret,
        forward_to,
        client: reqwest::Client::new(),
    });
    let app = axum::Router::new().fallback(receive).with_state(listener);
    axum::serve(socket, app).await.context("serving webhooks")
}

async fn receive(State(listener): State<Arc<Listener>>, uri: Uri, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = match &listener.secret {
        None => "unchecked: no --secret".to_owned(),
        Some(secret) => match kycmedia_client::webhook::verify(&headers, &body, &[secret.expose_secret()]) {
            Ok(_) => "valid".to_owned(),
            Err(e) => format!("INVALID: {e}"),
        },
    };
    let shown: serde_json::Map<String, Value> = SHOWN
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            Some((name.to_ascii_lowercase(), Value::from(value)))
        })
        .collect();
    let body_shown = serde_json::from_slice::<Value>(&body)
        .unwrap_or_else(|_| Value::from(String::from_utf8_lossy(&body).into_owned()));
    let (status, forwarded) = match &listener.forward_to {
        None => (StatusCode::OK, Value::Null),
        Some(url) => forward(&listener.client, url, &headers, body).await,
    };
    let line = json!({
        "receivedAt": crate::ids::rfc3339_ms(crate::ids::now_ms()),
        "path": uri.path(),
        "signature": signature,
        "headers": shown,
        "body": body_shown,
        "forwarded": forwarded,
    });
    println!("{line}");
    status
}

/// POSTs the webhook on; the handler's status, or 502 when it cannot be reached.
async fn forward(client: &reqwest::Client, url: &url::Url, headers: &HeaderMap, body: Bytes) -> (StatusCode, Value) {
    let mut request = client.post(url.as_str()).body(body);
    for name in SHOWN {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(answer) => {
            let status = answer.status().as_u16();
            (
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                json!({ "to": url.as_str(), "status": status }),
            )
        }
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            json!({ "to": url.as_str(), "error": e.to_string() }),
        ),
    }
}
