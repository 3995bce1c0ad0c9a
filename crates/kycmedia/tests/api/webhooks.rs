//! Webhook delivery against a real receiver: the loop from upload to
//! decision, signatures an integrator's code accepts, retries in order,
//! 410 Gone, and receivers refused by the safety rules.

use std::time::Duration;

use kycmedia::admin;
use kycmedia_proto::{
    Status,
    signing::{Scheme, sign},
};
use serde_json::{Value, json};

use crate::{
    helpers::{Tenant, TestApp, fixture, spawn_app_with},
    receiver::{Answer, Receiver},
};

/// A server that may deliver to this machine, retrying three times a second apart.
const LOCAL: &[&str] = &[
    "--webhook-allow-http",
    "--webhook-allow-private",
    "--webhook-retry-schedule",
    "1s*3",
];

/// The same, retrying once.
const ONE_RETRY: &[&str] = &[
    "--webhook-allow-http",
    "--webhook-allow-private",
    "--webhook-retry-schedule",
    "1s",
];

async fn wire(app: &TestApp, tenant: &Tenant, receiver: &Receiver) {
    wire_to(app, tenant, &receiver.base).await;
}

async fn wire_to(app: &TestApp, tenant: &Tenant, base: &str) {
    admin::set_webhooks(
        app.core.store.as_ref(),
        &tenant.api_key,
        Some(&format!("{base}/decisions")),
        Some(&format!("{base}/events")),
    )
    .await
    .unwrap();
}

async fn submitted(app: &TestApp, tenant: &Tenant) -> String {
    let session = app.create_session(tenant, json!({"vendorData": "v-1"})).await;
    app.upload_ok(tenant, &session, "image", "face", &fixture("face.jpg"))
        .await;
    assert_eq!(app.submit(tenant, &session).await.status, 200);
    session
}

/// The stored delivery attempts of a session's webhooks: (state, attempts).
async fn states(app: &TestApp, session: &str) -> Vec<(String, i64)> {
    let sql = "SELECT state, attempts FROM webhooks WHERE session_id = $1 ORDER BY seq";
    macro_rules! fetch {
        ($pool:ty) => {{
            let pool = <$pool>::connect(&app.place.database).await.unwrap();
            let rows: Vec<(String, i64)> = sqlx::query_as(sql).bind(session).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        }};
    }
    match crate::BACKEND {
        crate::helpers::Backend::Sqlite => fetch!(sqlx::SqlitePool),
        crate::helpers::Backend::Postgres => fetch!(sqlx::PgPool),
    }
}

/// Waits until the session's webhooks stand as `expected`: the receiver
/// sees a webhook before its sender has recorded the answer.
async fn settles(app: &TestApp, session: &str, expected: &[(&str, i64)]) {
    let expected: Vec<(String, i64)> = expected.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = states(app, session).await;
        if now == expected {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{now:?}, expected {expected:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_loop_from_upload_to_decision_arrives_in_order_and_signed() {
    let Some(app) = spawn_app_with(LOCAL).await else { return };
    let tenant = app.tenant().await;
    let receiver = Receiver::start().await;
    wire(&app, &tenant, &receiver).await;
    let session = submitted(&app, &tenant).await;
    admin::decide(
        app.core.store.as_ref(),
        &session.as_str().into(),
        Status::Approved,
        None,
    )
    .await
    .unwrap();
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    let paths: Vec<&str> = got.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/events", "/events", "/decisions"]);
    assert_eq!(got[0].json()["action"], "started");
    assert_eq!(got[1].json()["action"], "submitted");
    assert_eq!(got[1].json()["code"], 7002);
    assert_eq!(got[2].json()["verification"]["status"], "approved");
    assert_eq!(got[2].json()["verification"]["id"], session.as_str());
    let mut ids = Vec::new();
    for webhook in &got {
        assert_eq!(webhook.header("content-type"), "application/json");
        assert_eq!(webhook.header("x-auth-client"), tenant.api_key);
        assert_eq!(
            webhook.header("x-hmac-signature"),
            sign(Scheme::Hmac, tenant.secret.as_bytes(), &webhook.body)
        );
        assert_eq!(
            webhook.header("x-signature"),
            sign(Scheme::Legacy, tenant.secret.as_bytes(), &webhook.body)
        );
        ids.push(webhook.header("x-kycmedia-webhook-id").to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "each webhook has its own id");
    let decided = app
        .signed(
            reqwest::Method::GET,
            &tenant,
            &format!("/v1/sessions/{session}/decision"),
            &session,
        )
        .await
        .json();
    assert_eq!(got[2].json()["verification"], decided["verification"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 3, "nothing is sent twice");
    assert_eq!(
        states(&app, &session).await,
        [
            ("delivered".to_owned(), 1),
            ("delivered".to_owned(), 1),
            ("delivered".to_owned(), 1)
        ]
    );
}

#[tokio::test]
async fn a_failing_receiver_gets_the_same_webhook_again_and_the_next_only_after_it() {
    let Some(app) = spawn_app_with(LOCAL).await else { return };
    let tenant = app.tenant().await;
    let receiver = Receiver::start().await;
    receiver.answer([Answer::Status(500), Answer::Status(503)]);
    wire(&app, &tenant, &receiver).await;
    let session = submitted(&app, &tenant).await;
    let got = receiver.wait_for(4, Duration::from_secs(15)).await;
    let actions: Vec<Value> = got.iter().map(|r| r.json()["action"].clone()).collect();
    assert_eq!(actions, ["started", "started", "started", "submitted"]);
    assert_eq!(
        got[0].header("x-kycmedia-webhook-id"),
        got[2].header("x-kycmedia-webhook-id")
    );
    assert_eq!(got[0].body, got[2].body, "a retry sends the same bytes");
    settles(&app, &session, &[("delivered", 3), ("delivered", 1)]).await;
}

#[tokio::test]
async fn a_receiver_down_for_several_retries_then_up_gets_every_webhook_once_in_order() {
    let flags = [&LOCAL[..3], &["1s*8"]].concat();
    let Some(app) = spawn_app_with(&flags).await else {
        return;
    };
    let tenant = app.tenant().await;
    let port = Receiver::free_port();
    wire_to(&app, &tenant, &format!("http://127.0.0.1:{port}")).await;
    let session = submitted(&app, &tenant).await;
    admin::decide(
        app.core.store.as_ref(),
        &session.as_str().into(),
        Status::Declined,
        Some(102),
    )
    .await
    .unwrap();
    // Two connections refused, and the session's later webhooks wait behind the first.
    settles(&app, &session, &[("pending", 2), ("pending", 0), ("pending", 0)]).await;
    let outcome = outcome_of_first_attempt(&app, &session).await;
    assert!(outcome.to_lowercase().contains("connect"), "{outcome}");

    let receiver = Receiver::start_on(port).await;
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    let what: Vec<(String, Value)> = got
        .iter()
        .map(|r| (r.path.clone(), r.json()["action"].clone()))
        .collect();
    assert_eq!(
        what,
        [
            ("/events".to_owned(), json!("started")),
            ("/events".to_owned(), json!("submitted")),
            ("/decisions".to_owned(), Value::Null),
        ]
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while states(&app, &session)
        .await
        .iter()
        .any(|(state, _)| state != "delivered")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            states(&app, &session).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let attempts: Vec<i64> = states(&app, &session).await.into_iter().map(|(_, n)| n).collect();
    assert!(attempts[0] >= 3 && attempts[1..] == [1, 1], "{attempts:?}");
    assert_eq!(receiver.received().len(), 3, "each once");
}

#[tokio::test]
async fn a_deleted_sessions_webhooks_are_deleted_with_it_and_never_sent() {
    let Some(app) = spawn_app_with(LOCAL).await else { return };
    let tenant = app.tenant().await;
    let port = Receiver::free_port();
    wire_to(&app, &tenant, &format!("http://127.0.0.1:{port}")).await;
    let session = submitted(&app, &tenant).await;
    settles(&app, &session, &[("pending", 1), ("pending", 0)]).await;
    let path = format!("/v1/sessions/{session}");
    let deleted = app.signed(reqwest::Method::DELETE, &tenant, &path, &session).await;
    assert_eq!(deleted.status, 200, "{:?}", deleted.json());
    assert_eq!(states(&app, &session).await, []);
    assert_eq!(cli(&app, &["webhooks", "list", "--session", &session]), json!([]));
    let receiver = Receiver::start_on(port).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(receiver.received().is_empty(), "{:?}", receiver.received());
}

#[tokio::test]
async fn a_receiver_asking_to_retry_after_a_while_is_not_tried_before_it() {
    let Some(app) = spawn_app_with(LOCAL).await else { return };
    let tenant = app.tenant().await;
    let receiver = Receiver::start().await;
    receiver.answer([Answer::RetryAfter(503, "3")]);
    wire(&app, &tenant, &receiver).await;
    let session = submitted(&app, &tenant).await;
    let got = receiver.wait_for(3, Duration::from_secs(15)).await;
    assert_eq!(got[1].body, got[0].body, "the first webhook again");
    let waited = got[1].arrived - got[0].arrived;
    assert!(
        waited >= Duration::from_secs(3),
        "retried after {waited:?}, asked for 3 s"
    );
    settles(&app, &session, &[("delivered", 2), ("delivered", 1)]).await;
}

#[tokio::test]
async fn a_receiver_that_answers_410_is_not_tried_again() {
    let Some(app) = spawn_app_with(LOCAL).await else { return };
    let tenant = app.tenant().await;
    let receiver = Receiver::start().await;
    receiver.answer([Answer::Status(410)]);
    wire(&app, &tenant, &receiver).await;
    let session = submitted(&app, &tenant).await;
    receiver.wait_for(2, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 2);
    settles(&app, &session, &[("gone", 1), ("delivered", 1)]).await;
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_ends_as_failed_after_the_schedule() {
    let Some(app) = spawn_app_with(ONE_RETRY).await else {
        return;
    };
    let tenant = app.tenant().await;
    let receiver = Receiver::start().await;
    receiver.answer([Answer::Status(500), Answer::Status(500)]);
    wire(&app, &tenant, &receiver).await;
    let session = submitted(&app, &tenant).await;
    receiver.wait_for(3, Duration::from_secs(10)).await;
    settles(&app, &session, &[("failed", 2), ("delivered", 1)]).await;
}

#[tokio::test]
async fn loopback_and_plain_http_receivers_are_refused_unless_allowed() {
    for (flags, reason) in [
        (&["--webhook-allow-http"][..], "--webhook-allow-private"),
        (&["--webhook-allow-private"][..], "--webhook-allow-http"),
    ] {
        let Some(app) = spawn_app_with(flags).await else { return };
        let tenant = app.tenant().await;
        let receiver = Receiver::start().await;
        wire(&app, &tenant, &receiver).await;
        let session = submitted(&app, &tenant).await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert!(receiver.received().is_empty(), "{flags:?}");
        let outcome = outcome_of_first_attempt(&app, &session).await;
        assert!(outcome.contains(reason), "{flags:?}: {outcome}");
    }
}

async fn outcome_of_first_attempt(app: &TestApp, session: &str) -> String {
    let sql = "SELECT a.outcome FROM webhook_attempts a JOIN webhooks w ON w.id = a.webhook_id
               WHERE w.session_id = $1 ORDER BY a.at LIMIT 1";
    macro_rules! fetch {
        ($pool:ty) => {{
            let pool = <$pool>::connect(&app.place.database).await.unwrap();
            let row: String = sqlx::query_scalar(sql).bind(session).fetch_one(&pool).await.unwrap();
            pool.close().await;
            row
        }};
    }
    match crate::BACKEND {
        crate::helpers::Backend::Sqlite => fetch!(sqlx::SqlitePool),
        crate::helpers::Backend::Postgres => fetch!(sqlx::PgPool),
    }
}

#[tokio::test]
async fn a_receiver_that_hangs_holds_up_only_its_own_webhooks() {
    let Some(app) = spawn_app_with(LOCAL).await else { return };
    let (slow, quick) = (app.tenant().await, app.tenant().await);
    let (hanging, answering) = (Receiver::start().await, Receiver::start().await);
    hanging.answer([Answer::Hang]);
    wire(&app, &slow, &hanging).await;
    wire(&app, &quick, &answering).await;
    let stuck = submitted(&app, &slow).await;
    hanging.wait_for(1, Duration::from_secs(5)).await;
    submitted(&app, &quick).await;
    answering.wait_for(2, Duration::from_secs(30)).await;
    // Ordering, not timing: both of the other tenant's webhooks arrived
    // while the hung attempt was still open (its retry has not come).
    assert_eq!(
        hanging.received().len(),
        1,
        "the other tenant's webhooks waited for the hung one"
    );
    // The hung attempt ends at the 10 s timeout and is retried.
    let again = hanging.wait_for(3, Duration::from_secs(20)).await;
    assert_eq!(again[1].body, again[0].body);
    settles(&app, &stuck, &[("delivered", 2), ("delivered", 1)]).await;
}

/// Runs `kycmedia ARGS --database …` against the app's database; its JSON.
fn cli(app: &TestApp, args: &[&str]) -> Value {
    let out = crate::helpers::binary()
        .args(args)
        .args(["--database", &app.place.database])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn the_delivery_log_shows_every_attempt_and_a_failed_webhook_can_be_replayed() {
    let Some(app) = spawn_app_with(ONE_RETRY).await else {
        return;
    };
    let tenant = app.tenant().await;
    let receiver = Receiver::start().await;
    receiver.answer([Answer::Status(500), Answer::Status(502)]);
    wire(&app, &tenant, &receiver).await;
    let session = submitted(&app, &tenant).await;
    settles(&app, &session, &[("failed", 2), ("delivered", 1)]).await;

    let metrics = String::from_utf8(
        app.send(reqwest::Method::GET, "/metrics", &[], None)
            .await
            .body
            .to_vec(),
    )
    .unwrap();
    for outcome in ["pending", "failed", "delivered"] {
        let line = format!("kycmedia_webhook_deliveries_total{{outcome=\"{outcome}\"}} ");
        let count: f64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix(&line))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {line} in {metrics}"));
        assert!(count >= 1.0, "{line}{count}");
    }
    let failed = cli(&app, &["webhooks", "list", "--failed"]);
    let failed = failed.as_array().unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    let webhook = &failed[0];
    assert_eq!(webhook["state"], "failed");
    assert_eq!(webhook["sessionId"], session.as_str());
    let statuses: Vec<&Value> = webhook["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["httpStatus"])
        .collect();
    assert_eq!(statuses, [&json!(500), &json!(502)]);
    assert_eq!(
        cli(&app, &["webhooks", "list", "--session", &session])
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let id = webhook["id"].as_str().unwrap();
    assert_eq!(cli(&app, &["webhooks", "replay", id]), json!({"replayed": 1}));
    let got = receiver.wait_for(4, Duration::from_secs(10)).await;
    assert_eq!(got[3].header("x-kycmedia-webhook-id"), id);
    assert_eq!(got[3].body, got[0].body);
    settles(&app, &session, &[("delivered", 1), ("delivered", 1)]).await;
    assert_eq!(cli(&app, &["webhooks", "list", "--failed"]), json!([]));
    assert_eq!(
        cli(&app, &["webhooks", "replay", "--failed-since", "2020-01-01T00:00:00Z"]),
        json!({"replayed": 0})
    );
}

#[tokio::test]
async fn webhooks_listen_prints_each_webhook_with_its_signature_check_and_forwards_it() {
    use std::io::{BufRead, BufReader};

    let handler = Receiver::start().await;
    handler.answer([Answer::Status(200), Answer::Status(500)]);
    let mut listen = crate::helpers::binary()
        .args(["webhooks", "listen", "--listen", "127.0.0.1:0", "--secret", "s3cret"])
        .args(["--forward-to", &format!("{}/mine", handler.base)])
        .env_remove("KYCMEDIA_SHARED_SECRET")
        .env_remove("KYCMEDIA_CONFIG")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(listen.stdout.take().unwrap()).lines();
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    let url = first["listening"].as_str().unwrap().to_owned();
    let body = r#"{"id":"s","attemptId":"a","feature":"selfid","code":7002,"action":"submitted","vendorData":null,"endUserId":null}"#;
    let client = reqwest::Client::new();
    let post = |signature: String| {
        client
            .post(format!("{url}/events"))
            .header("content-type", "application/json")
            .header("x-hmac-signature", signature)
            .header("x-kycmedia-webhook-id", "w-1")
            .body(body)
            .send()
    };
    let good = post(sign(Scheme::Hmac, b"s3cret", body.as_bytes())).await.unwrap();
    assert_eq!(good.status(), 200);
    let printed: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(printed["signature"], "valid");
    assert_eq!(printed["path"], "/events");
    assert_eq!(printed["body"]["action"], "submitted");
    assert_eq!(printed["headers"]["x-kycmedia-webhook-id"], "w-1");
    assert_eq!(printed["forwarded"]["status"], 200);
    let forwarded = handler.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(forwarded[0].path, "/mine");
    assert_eq!(forwarded[0].body, body.as_bytes());
    assert_eq!(
        forwarded[0].header("x-hmac-signature"),
        sign(Scheme::Hmac, b"s3cret", body.as_bytes())
    );

    let bad = post(sign(Scheme::Hmac, b"another", body.as_bytes())).await.unwrap();
    assert_eq!(bad.status(), 500, "the handler's answer is passed back");
    let printed: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert!(
        printed["signature"].as_str().unwrap().starts_with("INVALID"),
        "{printed}"
    );
    listen.kill().unwrap();
    listen.wait().unwrap();
}
