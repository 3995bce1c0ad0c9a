//! What a client may hold without a valid request: a connection (header and
//! idle timeouts, the connection cap) and body bytes in memory (the body
//! budget). Backend-neutral, so run on SQLite only: none of it reaches storage.

use std::time::Duration;

use futures::future::join_all;
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{TestApp, hmac, spawn_app_with};

/// Long enough for any server to act, short enough to fail a test that waits forever.
const PATIENCE: Duration = Duration::from_secs(30);

fn address(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection (or resets it); `None` if
/// it has not within `PATIENCE`.
async fn closed_by_server(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut seen = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| seen)
}

#[tokio::test]
async fn a_connection_that_sends_half_a_request_line_and_then_nothing_is_closed_after_the_header_timeout() {
    let Some(app) = spawn_app_with(&["--header-read-timeout-secs", "1", "--idle-timeout-secs", "600"]).await else {
        return;
    };
    let mut stream = TcpStream::connect(address(&app)).await.unwrap();
    stream.write_all(b"GET /heal").await.unwrap();
    assert!(
        closed_by_server(&mut stream).await.is_some(),
        "a half-sent request line kept its connection open"
    );
    // Headers dribbled a byte at a time are cut off the same way.
    let mut stream = TcpStream::connect(address(&app)).await.unwrap();
    let dribbled = tokio::time::timeout(PATIENCE, async {
        for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ".iter().cycle() {
            if stream.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(dribbled.is_ok(), "headers dribbled for {PATIENCE:?} were never cut off");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let Some(app) = spawn_app_with(&["--idle-timeout-secs", "1", "--header-read-timeout-secs", "600"]).await else {
        return;
    };
    let mut stream = TcpStream::connect(address(&app)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = closed_by_server(&mut stream)
        .await
        .expect("the idle connection was never closed");
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "the request was answered first: {text}"
    );
}

#[tokio::test]
async fn with_the_connection_cap_reached_a_new_connection_gets_the_contracts_503_and_is_served_once_a_slot_frees() {
    let Some(app) = spawn_app_with(&["--max-connections", "4"]).await else {
        return;
    };
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(address(&app)).await.unwrap();
        // A whole request, so that the connection surely holds its slot.
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 512];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        held.push(stream);
    }
    let refused = reqwest::get(format!("{}/healthz", app.base))
        .await
        .expect("a clean answer");
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "fail", "code": "1101", "message": "Server is busy, retry later"})
    );

    drop(held);
    let mut status = 0;
    for _ in 0..100 {
        status = reqwest::get(format!("{}/healthz", app.base))
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "a freed slot serves a new client");
}

/// Descriptors the test itself may open: both ends of each connection are in
/// this process.
fn silent_connections_this_process_can_hold() -> usize {
    let soft =
        nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).map_or(1024, |(soft, _)| soft);
    usize::try_from(soft.saturating_sub(512) / 2).unwrap_or(1200).min(1200)
}

#[tokio::test]
async fn a_server_with_many_silent_connections_closes_them_and_still_answers_a_fresh_client() {
    let Some(app) = spawn_app_with(&["--header-read-timeout-secs", "2"]).await else {
        return;
    };
    let count = silent_connections_this_process_can_hold();
    let mut silent = Vec::with_capacity(count);
    for _ in 0..count {
        silent.push(TcpStream::connect(address(&app)).await.unwrap());
    }
    let fresh = reqwest::Client::new()
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .expect("a fresh client is answered");
    assert_eq!(fresh.status(), 200, "{count} silent connections starved a fresh client");
    let closed = join_all(silent.iter_mut().map(closed_by_server)).await;
    let open = closed.iter().filter(|c| c.is_none()).count();
    assert_eq!(open, 0, "{open} of {count} silent connections were never closed");
}

/// A POST of `bytes` to a session's media, signed with the wrong secret.
async fn wrongly_signed_upload(app: &TestApp, api_key: &str, session: &str, bytes: Vec<u8>) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/v1/sessions/{session}/media", app.base))
        .header("X-AUTH-CLIENT", api_key)
        .header("X-HMAC-SIGNATURE", hmac("not the secret", b"whatever"))
        .header("content-type", "application/json")
        .body(bytes)
        .send()
        .await
        .expect("the server answers")
}

#[tokio::test]
async fn many_parallel_big_bodies_with_a_wrong_signature_are_all_refused_cleanly() {
    let Some(app) = spawn_app_with(&["--max-body-bytes-in-flight", "8388608", "--max-body-bytes", "4194304"]).await
    else {
        return;
    };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let sent = (0..24).map(|_| wrongly_signed_upload(&app, &tenant.api_key, &session, vec![b' '; 3 << 20]));
    for answer in join_all(sent).await {
        let status = answer.status().as_u16();
        let retry = answer.headers().get("retry-after").cloned();
        let body: serde_json::Value = answer.json().await.unwrap();
        match status {
            401 => assert_eq!(body["code"], "1819"),
            503 => {
                assert_eq!(body["code"], "1101");
                assert!(retry.is_some(), "a 503 says when to retry");
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(app.attempts(&tenant, &session).await.is_empty());
}

#[tokio::test]
async fn when_the_body_budget_is_held_a_new_body_gets_503_and_is_read_once_room_frees() {
    let Some(app) = spawn_app_with(&["--max-body-bytes-in-flight", "4194304", "--max-body-bytes", "4194304"]).await
    else {
        return;
    };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    // Declares the whole budget and sends a little of it, then stalls.
    let mut stall = TcpStream::connect(address(&app)).await.unwrap();
    let head = format!(
        "POST /v1/sessions/{session}/media HTTP/1.1\r\nHost: x\r\nX-AUTH-CLIENT: {}\r\n\
         X-HMAC-SIGNATURE: {}\r\nContent-Type: application/json\r\nContent-Length: 4194304\r\n\r\n{{\"image\":",
        tenant.api_key,
        hmac(&tenant.secret, b"never completed")
    );
    stall.write_all(head.as_bytes()).await.unwrap();
    // The stalled body holds the budget once the server has read its first bytes.
    let mut status = 0;
    for _ in 0..100 {
        let answer = wrongly_signed_upload(&app, &tenant.api_key, &session, vec![b' '; 1024]).await;
        status = answer.status().as_u16();
        if status == 503 {
            assert!(answer.headers().contains_key("retry-after"));
            break;
        }
    }
    assert_eq!(status, 503, "a body that finds no room is told to retry");
    drop(stall);
    let mut status = 0;
    for _ in 0..100 {
        status = wrongly_signed_upload(&app, &tenant.api_key, &session, vec![b' '; 1024])
            .await
            .status()
            .as_u16();
        if status == 401 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 401, "room freed, the body is read and its signature checked");
}

#[tokio::test]
async fn a_declared_body_over_the_limit_gets_413_before_any_of_it_is_sent() {
    let Some(app) = spawn_app_with(&["--max-body-bytes", "1048576"]).await else {
        return;
    };
    let tenant = app.tenant().await;
    let session = app.create_session(&tenant, json!({})).await;
    let mut stream = TcpStream::connect(address(&app)).await.unwrap();
    let head = format!(
        "POST /v1/sessions/{session}/media HTTP/1.1\r\nHost: x\r\nX-AUTH-CLIENT: {}\r\n\
         X-HMAC-SIGNATURE: {}\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n",
        tenant.api_key,
        hmac(&tenant.secret, b"never sent")
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(PATIENCE, stream.read(&mut buf))
        .await
        .expect("answered without the body")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
}
