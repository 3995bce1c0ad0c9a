//! Configuring a [`Client`]: where, who, which secrets, how patient.

use std::{sync::Arc, time::Duration};

use reqwest::Url;

use crate::{
    Client,
    client::{Inner, RetryPolicy},
    error::{Error, Result},
};

/// The user agent sent unless [`ClientBuilder::user_agent`] says otherwise,
/// so that server logs can tell SDK traffic (and its version) apart.
pub const DEFAULT_USER_AGENT: &str = concat!("kycmedia-client/", env!("CARGO_PKG_VERSION"));

/// Builds a [`Client`]. Obtained from [`Client::builder`].
///
/// Defaults: 30 s per request (and between two reads of a download), 10 s to
/// connect, no retries, 16 MiB cap on JSON response bodies.
#[derive(Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClientBuilder {
    base_url: String,
    api_key: String,
    secrets: Vec<String>,
    timeout: Duration,
    connect_timeout: Duration,
    retries: u32,
    backoff: Duration,
    max_backoff: Duration,
    user_agent: String,
    max_json_body: usize,
    replay_protection: bool,
}

/// Secrets are never printed: a builder may end up in a log line.
impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field("secrets", &format_args!("[{} redacted]", self.secrets.len()))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retries", &self.retries)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    pub(crate) fn new(base_url: &str, api_key: String, secret: String) -> Self {
        ClientBuilder {
            base_url: base_url.to_owned(),
            api_key,
            secrets: vec![secret],
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retries: 0,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            max_json_body: 16 * 1024 * 1024,
            replay_protection: false,
        }
    }

    /// Replaces every secret. The first one signs requests; responses are
    /// accepted when signed by any of them. During a rotation, configure
    /// `[new, old]`: requests move to the new secret while answers signed with
    /// either still verify. An empty list keeps the current secrets.
    pub fn secrets<I, S>(mut self, secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let secrets: Vec<String> = secrets.into_iter().map(Into::into).collect();
        if !secrets.is_empty() {
            self.secrets = secrets;
        }
        self
    }

    /// Adds a secret accepted on responses, after the signing one.
    pub fn add_secret(mut self, secret: impl Into<String>) -> Self {
        self.secrets.push(secret.into());
        self
    }

    /// Time allowed for a JSON call from sending to the last body byte, and
    /// the longest silence tolerated between two reads of a download (a
    /// large file may take longer than this in total, as long as it flows).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time allowed to open a connection (TCP and TLS).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How many times an idempotent call (GET, DELETE) is repeated after a
    /// 429, a 5xx or a failed connection. POST and PATCH are never repeated:
    /// a second upload would store the file twice.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// The first wait before a retry and the cap on waits; each retry waits
    /// twice as long as the previous one. A `Retry-After` in seconds on a 429
    /// or 503 is honoured up to the cap.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// The `User-Agent` header sent with every request.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Signs every request under kycmedia's replay protection (docs/api.md
    /// §1.7): a timestamp and a fresh nonce, with the method and path, for
    /// an integration set to require it. Off by default: the provider's
    /// service and integrations without it do not know these headers.
    pub fn replay_protection(mut self, on: bool) -> Self {
        self.replay_protection = on;
        self
    }

    /// The largest JSON response body accepted, in bytes; protects the caller
    /// from a server (or impostor) that streams without end. Downloads are
    /// streamed and not subject to it.
    pub fn max_json_body(mut self, bytes: usize) -> Self {
        self.max_json_body = bytes;
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client> {
        let mut base =
            Url::parse(&self.base_url).map_err(|e| Error::Invalid(format!("base URL {:?}: {e}", self.base_url)))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(Error::Invalid(format!("base URL {:?} is not http(s)", self.base_url)));
        }
        // `Url::join` replaces the last path segment unless the path ends in
        // a slash; a base like `https://host/api` must keep its `api`.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        base.set_query(None);
        base.set_fragment(None);
        reqwest::header::HeaderValue::from_str(&self.api_key)
            .map_err(|_| Error::Invalid("the API key is not a valid header value".to_owned()))?;
        if self.secrets.iter().any(String::is_empty) {
            return Err(Error::Invalid("a shared secret is empty".to_owned()));
        }
        let http = reqwest::Client::builder()
            .user_agent(self.user_agent)
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.timeout)
            // The API never redirects; following one would send the API key
            // (and a valid signature) to wherever the redirect points.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(Error::Transport)?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                api_key: self.api_key,
                secrets: self.secrets,
                timeout: self.timeout,
                retry: RetryPolicy {
                    retries: self.retries,
                    backoff: self.backoff,
                    max_backoff: self.max_backoff,
                },
                max_json_body: self.max_json_body,
                replay_protection: self.replay_protection,
            }),
        })
    }
}
