//! A small HTTP/1.1 proxy that sits between the SDK and the server and
//! misbehaves on purpose: it alters responses in transit, or answers 503.
//!
//! One request per connection (it answers `connection: close`), which keeps
//! the parsing to a request head, a `Content-Length` body and nothing else.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// What the proxy does to each exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forwards faithfully.
    Forward,
    /// Flips one bit of one body byte; `Content-Length` stays right.
    FlipBodyByte,
    /// Changes one hex digit of the `X-HMAC-SIGNATURE` header.
    AlterSignature,
    /// Drops the signature headers.
    RemoveSignature,
    /// Removes the request's signature before forwarding, so that the
    /// server answers with its newest secret (only `POST /v1/sessions` may
    /// go unsigned).
    StripRequestSignature,
    /// Answers this many requests with an unsigned 503, then forwards.
    UnavailableFirst(usize),
}

/// A running proxy; `base` is what clients point at.
pub struct Proxy {
    pub base: String,
    hits: Arc<AtomicUsize>,
}

impl Proxy {
    /// Requests the proxy has received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

pub async fn start(upstream: &str, mode: Mode) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a proxy port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let hits = Arc::new(AtomicUsize::new(0));
    let upstream = upstream.to_owned();
    let counter = hits.clone();
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        while let Ok((socket, _)) = listener.accept().await {
            let number = counter.fetch_add(1, Ordering::SeqCst);
            let (http, upstream) = (http.clone(), upstream.clone());
            tokio::spawn(async move {
                let _ = exchange(socket, &http, &upstream, mode, number).await;
            });
        }
    });
    Proxy { base, hits }
}

/// A request as read off the socket.
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

async fn exchange(
    mut socket: TcpStream,
    http: &reqwest::Client,
    upstream: &str,
    mode: Mode,
    number: usize,
) -> std::io::Result<()> {
    let request = read_request(&mut socket).await?;
    if let Mode::UnavailableFirst(n) = mode
        && number < n
    {
        let reply = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        return socket.write_all(reply).await;
    }
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(std::io::Error::other)?;
    let mut forward = http.request(method, format!("{upstream}{}", request.path));
    for (name, value) in &request.headers {
        let hop = matches!(name.as_str(), "host" | "content-length" | "connection");
        let stripped = mode == Mode::StripRequestSignature && name == "x-hmac-signature";
        if !hop && !stripped {
            forward = forward.header(name, value);
        }
    }
    let response = forward.body(request.body).send().await.map_err(std::io::Error::other)?;
    let status = response.status();
    let mut headers: Vec<(String, Vec<u8>)> = response
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "content-length" | "transfer-encoding" | "connection"))
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    let mut body = response.bytes().await.map_err(std::io::Error::other)?.to_vec();
    match mode {
        Mode::FlipBodyByte if !body.is_empty() => {
            let middle = body.len() / 2;
            body[middle] ^= 0x01;
        }
        Mode::AlterSignature => {
            for (name, value) in &mut headers {
                if name.ends_with("hmac-signature")
                    && let Some(first) = value.first_mut()
                {
                    *first = if *first == b'0' { b'1' } else { b'0' };
                }
            }
        }
        Mode::RemoveSignature => headers.retain(|(name, _)| !name.ends_with("hmac-signature")),
        _ => {}
    }
    let mut reply = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    for (name, value) in headers {
        reply.extend_from_slice(name.as_bytes());
        reply.extend_from_slice(b": ");
        reply.extend_from_slice(&value);
        reply.extend_from_slice(b"\r\n");
    }
    reply.extend_from_slice(format!("content-length: {}\r\nconnection: close\r\n\r\n", body.len()).as_bytes());
    reply.extend_from_slice(&body);
    socket.write_all(&reply).await?;
    socket.shutdown().await
}

async fn read_request(socket: &mut TcpStream) -> std::io::Result<Request> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let read = socket.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut start = lines.next().unwrap_or_default().split(' ');
    let method = start.next().unwrap_or_default().to_owned();
    let path = start.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let read = socket.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Ok(Request {
        method,
        path,
        headers,
        body,
    })
}
