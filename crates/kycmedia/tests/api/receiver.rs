//! A real webhook receiver for the tests: an HTTP server on 127.0.0.1:0
//! that records every request and answers as told (a status, a status with
//! `Retry-After`, or nothing at all until the sender gives up), 200 when
//! told nothing. A receiver that refuses connections is one not started
//! yet: [`Receiver::start_on`] starts it later on a port chosen before.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use tokio::sync::Notify;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub arrived: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// What to answer the next request with.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Status(u16),
    /// This status with this `Retry-After` value.
    RetryAfter(u16, &'static str),
    /// Never answer: the sender's timeout ends it.
    Hang,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    answers: Mutex<VecDeque<Answer>>,
    arrived: Notify,
}

pub struct Receiver {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    shared: Arc<Shared>,
}

async fn receive(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let answer = shared.answers.lock().unwrap().pop_front();
    shared.received.lock().unwrap().push(Received {
        path: uri.path().to_owned(),
        headers,
        body,
        arrived: Instant::now(),
    });
    shared.arrived.notify_waiters();
    match answer {
        None => StatusCode::OK.into_response(),
        Some(Answer::Status(code)) => StatusCode::from_u16(code).unwrap().into_response(),
        Some(Answer::RetryAfter(code, wait)) => {
            (StatusCode::from_u16(code).unwrap(), [("retry-after", wait)]).into_response()
        }
        Some(Answer::Hang) => std::future::pending().await,
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        Receiver::start_on(0).await
    }

    /// A port on which nothing listens yet, so that connections to it are
    /// refused until [`Receiver::start_on`] it.
    pub fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    pub async fn start_on(port: u16) -> Receiver {
        let shared = Arc::new(Shared::default());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().fallback(receive).with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { base, shared }
    }

    /// Answers the next requests with these, in order.
    pub fn answer(&self, answers: impl IntoIterator<Item = Answer>) {
        self.shared.answers.lock().unwrap().extend(answers);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until `count` requests have arrived, or fails after `within`.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let arrived = self.shared.arrived.notified();
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!(
                    "{} of {count} webhooks arrived within {within:?}: {received:#?}",
                    received.len()
                );
            }
        }
    }
}
