//! A download streams from storage to the client: the server's memory does
//! not grow with the file's size. Measured on the real binary in its own
//! process, from its peak resident set (`VmHWM`), on either backend.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::helpers::{Place, fixture, hmac};

/// A real MP4 grown to `size` bytes by a top-level `free` box, which
/// players and parsers skip: a long video's size without its encoding time.
fn big_video(size: usize) -> Vec<u8> {
    let mut video = fixture("selfid.mp4");
    let padding = size - video.len();
    video.extend_from_slice(&(padding as u32).to_be_bytes());
    video.extend_from_slice(b"free");
    video.resize(size, 0);
    video
}

/// Kilobytes from the process's `/proc/PID/status` line `field`.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn command(place: &Place) -> Command {
    let mut command = crate::helpers::binary();
    if place.storage_endpoint.is_some()
        && let Some(services) = crate::services::services()
    {
        command.envs(services.s3_env());
    }
    command
}

#[tokio::test]
async fn downloading_a_large_file_does_not_grow_the_servers_memory_by_its_size() {
    let Some(place) = Place::fresh().await else { return };
    const SIZE: usize = 40 * 1024 * 1024;
    let port = crate::services::free_port().to_string();
    let base = format!("http://127.0.0.1:{port}");
    let server = Server(
        command(&place)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--max-body-bytes",
                "80000000",
                // A memory test, not a deadline test: on a busy machine the
                // 53 MB upload takes longer than the default 30 s.
                "--request-timeout-secs",
                "600",
            ])
            .args(place.serve_args())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    let mut healthy = false;
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(healthy, "the server did not start");
    let created = command(&place)
        .args(["integration", "create", "--name", "big", "--database", &place.database])
        .output()
        .unwrap();
    let created: Value = serde_json::from_slice(&created.stdout).unwrap();
    let (key, secret) = (
        created["apiKey"].as_str().unwrap(),
        created["sharedSecret"].as_str().unwrap(),
    );
    let signed = |request: reqwest::RequestBuilder, payload: &[u8]| {
        request
            .header("X-AUTH-CLIENT", key)
            .header("X-HMAC-SIGNATURE", hmac(secret, payload))
    };

    // Made before the session, not between it and the upload: making it takes
    // longer than the server keeps an idle connection open (the header-read
    // timeout), and the client would send the upload down a closing one.
    let video = big_video(SIZE);
    let upload =
        serde_json::to_vec(&json!({"video": {"context": "selfid_video", "content": STANDARD.encode(&video)}})).unwrap();
    let body = serde_json::to_vec(&json!({"verification": {}})).unwrap();
    let session: Value = signed(client.post(format!("{base}/v1/sessions")), &body)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = session["verification"]["id"].as_str().unwrap();
    let uploaded = signed(client.post(format!("{base}/v1/sessions/{session}/media")), &upload)
        .header("content-type", "application/json")
        .body(upload)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201);
    let media: Value = uploaded.json().await.unwrap();
    let media = media["video"]["id"].as_str().unwrap();

    // Forget the peak of the upload, which holds the whole body by design.
    let pid = server.0.id();
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
    let resident = status_kib(pid, "VmRSS:");
    for _ in 0..3 {
        let reply = signed(client.get(format!("{base}/v1/media/{media}")), media.as_bytes())
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        let mut received = 0;
        let mut stream = reply.bytes_stream();
        while let Some(chunk) = stream.next().await {
            received += chunk.unwrap().len();
        }
        assert_eq!(received, SIZE);
    }
    let grown_kib = status_kib(pid, "VmHWM:").saturating_sub(resident);
    assert!(
        grown_kib < (SIZE / 1024 / 4) as u64,
        "three downloads of {} MiB raised the peak by {} MiB",
        SIZE >> 20,
        grown_kib >> 10
    );
}
