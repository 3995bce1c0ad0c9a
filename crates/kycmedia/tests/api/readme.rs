//! The README's first hour, run as a newcomer would paste it: the block
//! after `<!-- first-hour -->`, in an empty folder beside the fixtures, with
//! the built binary on the PATH. Only the port is changed, to a free one.

use std::{net::TcpListener, path::Path, process::Command};

const README: &str = include_str!("../../../../README.md");

fn first_hour_block() -> &'static str {
    let after = &README[README
        .find("<!-- first-hour -->")
        .expect("the README's first-hour marker")..];
    let start = after.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let end = after[start..].find("```\n").expect("its closing fence") + start;
    &after[start..end]
}

fn missing_tools() -> Vec<&'static str> {
    ["bash", "curl", "openssl", "sed"]
        .into_iter()
        .filter(|tool| {
            !Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect()
}

#[test]
fn the_first_hour_goes_from_nothing_to_a_decision_and_the_ranked_media() {
    let missing = missing_tools();
    if !missing.is_empty() {
        assert!(
            !crate::services::required(),
            "KYCMEDIA_REQUIRE_SERVICES=1 but {missing:?} are not installed"
        );
        eprintln!("\n!!! SKIPPED: the README's first hour needs {missing:?}\n");
        return;
    }
    let free = || TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (port, receiver) = (free(), free());
    let script = first_hour_block()
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
        .replace("127.0.0.1:8090", &format!("127.0.0.1:{receiver}"));
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    std::os::unix::fs::symlink(&fixtures, dir.path().join("fixtures")).unwrap();
    std::fs::create_dir(dir.path().join("first-hour")).unwrap();
    let binary_dir = Path::new(env!("CARGO_BIN_EXE_kycmedia")).parent().unwrap();
    let path = format!("{}:{}", binary_dir.display(), std::env::var("PATH").unwrap_or_default());
    // Stop the server whatever happens; fail at the first failing step.
    let guarded = format!("set -e\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{script}");
    let mut command = Command::new("bash");
    command.args(["-c", &guarded]).current_dir(dir.path()).env("PATH", path);
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("KYCMEDIA_")) {
        command.env_remove(name);
    }
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the first hour failed:\n{stdout}\n{stderr}");

    let lines: Vec<&str> = stdout.lines().collect();
    let json = |prefix: &str| -> Vec<serde_json::Value> {
        lines
            .iter()
            .filter(|l| l.starts_with(prefix))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let webhooks = json(r#"{"receivedAt""#);
    let announced: Vec<String> = webhooks
        .iter()
        .map(|w| {
            assert_eq!(w["signature"], "valid", "{w}");
            let body = &w["body"];
            body.get("action")
                .unwrap_or(&body["verification"]["status"])
                .to_string()
        })
        .collect();
    assert_eq!(
        announced,
        [r#""started""#, r#""submitted""#, r#""approved""#],
        "{stdout}"
    );
    // The submit's answer begins the same way; the decision's holds its times.
    let decision = json(r#"{"status":"success","verification":{"acceptanceTime""#);
    assert_eq!(decision[0]["verification"]["code"], 9001, "{stdout}");
    assert_eq!(decision[0]["verification"], webhooks[2]["body"]["verification"]);
    let attempts = json(r#"{"status":"success","verifications""#);
    assert_eq!(attempts[0]["verifications"][0]["status"], "approved", "{stdout}");
    let lists = json(r#"{"status":"success","images""#);
    assert_eq!(lists.len(), 2, "the CLI's list and curl's: {stdout}");
    assert_eq!(lists[0], lists[1], "curl reads what the CLI reads");
    let contexts: Vec<&str> = lists[0]["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["context"].as_str().unwrap())
        .collect();
    assert_eq!(contexts, ["document-front", "face"], "the README's sample order");
    assert!(stdout.contains("refused, as it should be"), "{stdout}");
    assert!(
        stderr.contains("(image/jpeg does not suit context selfid_video) [request id "),
        "{stderr}"
    );
    // The two signatures kycmedia sign printed: the attempt id's and the body's.
    let signatures: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.len() == 64 && l.bytes().all(|b| b.is_ascii_hexdigit()))
        .collect();
    assert_eq!(signatures.len(), 2, "{stdout}");
    let data = dir.path().join("first-hour");
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data.join("kycmedia.db")), 0o600);
    assert_eq!(mode(&data.join("media")), 0o700);
}
