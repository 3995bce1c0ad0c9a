//! The command line as an operator meets it: help on everything, settings
//! from flags, variables and the configuration file in that order,
//! validated values, completions, manual pages and the version.

use std::{collections::BTreeSet, path::Path, process::Command};

fn kycmedia(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = crate::helpers::binary();
    command.args(args).env_remove("KYCMEDIA_CONFIG");
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command.output().expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every argument of `command` and its subcommands without help text, as `path --flag`.
fn undocumented(command: &clap::Command, path: &str) -> Vec<String> {
    let path = format!("{path} {}", command.get_name());
    let mut missing = Vec::new();
    if command.get_about().is_none() {
        missing.push(format!("{path} (the command)"));
    }
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str();
        if !matches!(id, "help" | "version") && arg.get_help().is_none() {
            missing.push(format!("{path} {id}"));
        }
    }
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        missing.extend(undocumented(sub, &path));
    }
    missing
}

#[test]
fn every_command_argument_and_flag_has_help_text() {
    let mut definition = kycmedia::cli::definition();
    definition.build();
    let missing = undocumented(&definition, "");
    assert!(missing.is_empty(), "without help text: {missing:#?}");
}

#[test]
fn help_names_each_variable_but_never_shows_its_value() {
    let password = "hunter2-in-the-environment";
    let url = format!("postgres://k:{password}@127.0.0.1/k");
    let (ok, help, _) = kycmedia(&["serve", "--help"], &[("KYCMEDIA_DATABASE", &url)]);
    assert!(ok);
    assert!(help.contains("[env: KYCMEDIA_DATABASE]"), "{help}");
    assert!(!help.contains(password), "{help}");
    assert!(!help.contains("=]"), "an empty [env: X=] is shown: {help}");
}

#[test]
fn analyze_offers_only_the_decoding_limits() {
    let (ok, help, _) = kycmedia(&["analyze", "--help"], &[]);
    assert!(ok);
    assert!(help.contains("--max-pixels") && help.contains("--decode-max-alloc-bytes"));
    for server_flag in ["--max-body-bytes", "--request-timeout-secs", "--listen", "--database"] {
        assert!(!help.contains(server_flag), "analyze offers {server_flag}");
    }
}

#[test]
fn migrate_db_names_its_connection_flag_as_serve_does_and_keeps_the_old_name() {
    let (_, help, _) = kycmedia(&["migrate-db", "--help"], &[]);
    assert!(help.contains("--database-max-connections"), "{help}");
    let dir = tempfile::tempdir().unwrap();
    let (from, to) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let (from, to) = (
        format!("sqlite://{}", from.display()),
        format!("sqlite://{}", to.display()),
    );
    for flag in ["--database-max-connections", "--max-connections"] {
        let (ok, _, stderr) = kycmedia(&["migrate-db", "--from", &from, "--to", &to, flag, "2"], &[]);
        assert!(ok, "{flag}: {stderr}");
    }
}

#[test]
fn an_unknown_log_format_is_refused_from_the_flag_and_from_the_environment() {
    let (ok, _, stderr) = kycmedia(&["--log-format", "xml", "sign", "--secret", "s", "x"], &[]);
    assert!(!ok && stderr.contains("invalid value 'xml'"), "{stderr}");
    let (ok, _, stderr) = kycmedia(&["sign", "--secret", "s", "x"], &[("KYCMEDIA_LOG_FORMAT", "xml")]);
    assert!(!ok && stderr.contains("invalid value 'xml'"), "{stderr}");
    let (ok, _, _) = kycmedia(&["sign", "--secret", "s", "x", "--log-format", "json"], &[]);
    assert!(ok);
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}", dir.path().join("d.db").display());
    let (ok, _, stderr) = kycmedia(
        &[
            "--log-format",
            "json",
            "decide",
            "a1c68aea-7f4d-478d-80ab-ca9356074f69",
            "approved",
        ],
        &[("KYCMEDIA_DATABASE", &missing), ("RUST_LOG", "debug")],
    );
    assert!(!ok);
    let logged: Vec<&str> = stderr.lines().filter(|l| l.starts_with('{')).collect();
    assert!(!logged.is_empty(), "no JSON log line: {stderr}");
    for line in logged {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
}

#[test]
fn completions_are_generated_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let (ok, script, stderr) = kycmedia(&["completions", shell], &[]);
        assert!(ok, "{shell}: {stderr}");
        assert!(script.contains("migrate-db") && script.contains("kycmedia"), "{shell}");
    }
    let (_, script, _) = kycmedia(&["completions", "bash"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kycmedia.bash");
    std::fs::write(&file, script).unwrap();
    if let Ok(status) = Command::new("bash").arg("-n").arg(&file).status() {
        assert!(status.success(), "bash cannot parse the completion script");
    }
    let (ok, _, stderr) = kycmedia(&["completions", "tcsh"], &[]);
    assert!(!ok && stderr.contains("invalid value 'tcsh'"), "{stderr}");
}

#[test]
fn the_manual_page_is_generated_for_the_program_and_each_command() {
    let (ok, page, _) = kycmedia(&["man"], &[]);
    assert!(ok);
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH kycmedia 1"),
        "{page}"
    );
    assert!(page.contains("doctor"), "{page}");
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = kycmedia(&["man", "--dir", dir.path().to_str().unwrap()], &[]);
    assert!(ok, "{stderr}");
    let pages: BTreeSet<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "kycmedia.1",
        "kycmedia-serve.1",
        "kycmedia-doctor.1",
        "kycmedia-api-upload.1",
    ] {
        assert!(pages.contains(expected), "{expected} missing from {pages:?}");
    }
}

#[test]
fn the_version_names_the_commit_the_binary_was_built_from() {
    let (ok, version, _) = kycmedia(&["--version"], &[]);
    assert!(ok);
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or("unknown".to_owned(), |o| {
            String::from_utf8_lossy(&o.stdout).trim().to_owned()
        });
    assert_eq!(
        version.trim(),
        format!("kycmedia {} ({head})", env!("CARGO_PKG_VERSION"))
    );
}

/// A database URL in `dir` and the file it names.
fn database_in(dir: &Path, name: &str) -> (String, std::path::PathBuf) {
    let file = dir.join(name);
    (format!("sqlite://{}", file.display()), file)
}

#[test]
fn a_flag_wins_over_its_variable_which_wins_over_the_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let (file_db, file_path) = database_in(dir.path(), "from-file.db");
    let (env_db, env_path) = database_in(dir.path(), "from-env.db");
    let (flag_db, flag_path) = database_in(dir.path(), "from-flag.db");
    let config = dir.path().join("kycmedia.toml");
    std::fs::write(&config, format!("database = \"{file_db}\"\nmax_pixels = 5000\n")).unwrap();
    let config = config.to_str().unwrap();
    let create = ["integration", "create", "--name", "n", "--config", config];

    let (ok, _, stderr) = kycmedia(&create, &[]);
    assert!(ok && file_path.exists(), "{stderr}");
    let (ok, _, stderr) = kycmedia(&create, &[("KYCMEDIA_DATABASE", &env_db)]);
    assert!(ok && env_path.exists(), "{stderr}");
    let mut with_flag = create.to_vec();
    with_flag.extend(["--database", &flag_db]);
    let (ok, _, stderr) = kycmedia(&with_flag, &[("KYCMEDIA_DATABASE", &env_db)]);
    assert!(ok && flag_path.exists(), "{stderr}");

    // The variable names the file too, and the file's value shows as the default.
    let (ok, help, _) = kycmedia(&["analyze", "--help"], &[("KYCMEDIA_CONFIG", config)]);
    assert!(ok && help.contains("[default: 5000]"), "{help}");
}

#[test]
fn a_configuration_file_with_an_unknown_key_or_bad_toml_is_refused_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("k.toml");
    std::fs::write(&config, "publc_url = \"https://x\"\n").unwrap();
    let path = config.to_str().unwrap();
    let (ok, _, stderr) = kycmedia(&["--config", path, "integration", "list"], &[]);
    assert!(!ok);
    assert!(
        stderr.contains("unknown setting publc_url; known settings: "),
        "{stderr}"
    );
    assert!(stderr.contains("public_url") && stderr.contains("database"), "{stderr}");
    std::fs::write(&config, "listen = \n").unwrap();
    let (ok, _, stderr) = kycmedia(&["--config", path, "integration", "list"], &[]);
    assert!(!ok && stderr.contains("is not valid TOML"), "{stderr}");
    let (ok, _, stderr) = kycmedia(&["--config", "/no/such/kycmedia.toml", "integration", "list"], &[]);
    assert!(
        !ok && stderr.contains("reading configuration /no/such/kycmedia.toml"),
        "{stderr}"
    );
}

#[test]
fn serve_in_a_fresh_folder_creates_its_private_data_directory() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mut server = crate::helpers::binary()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("KYCMEDIA_DATABASE")
        .env_remove("KYCMEDIA_STORAGE")
        .env_remove("KYCMEDIA_CONFIG")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let serving = BufReader::new(server.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .take(50)
        .any(|line| line.contains("serving"));
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(serving, "the server did not start in a fresh folder");
    let mode = |p: &str| std::fs::metadata(dir.path().join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("data"), 0o700);
    assert_eq!(mode("data/media"), 0o700);
    assert_eq!(mode("data/kycmedia.db"), 0o600);
}

#[test]
fn a_refused_request_is_logged_with_its_code_and_reason_and_a_latency_without_float_noise() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let mut server = crate::helpers::binary()
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .current_dir(dir.path())
        .env_remove("KYCMEDIA_CONFIG")
        .env_remove("KYCMEDIA_DATABASE")
        .env_remove("KYCMEDIA_STORAGE")
        .env_remove("RUST_LOG")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(server.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok);
    let serving: serde_json::Value = log
        .by_ref()
        .take(50)
        .map(|line| serde_json::from_str::<serde_json::Value>(&line).expect("a JSON log line"))
        .find(|line| line["fields"]["message"] == "serving")
        .expect("a serving line");
    let addr = serving["fields"]["addr"].as_str().unwrap().to_owned();
    // An upload without an API key: 401 1801, answered before any body is read.
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    let request = "POST /v1/sessions/a1c68aea-7f4d-478d-80ab-ca9356074f69/media HTTP/1.1\r\n\
                   Host: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let refused: serde_json::Value = log
        .by_ref()
        .take(50)
        .map(|line| serde_json::from_str::<serde_json::Value>(&line).expect("a JSON log line"))
        .find(|line| line["fields"]["message"] == "request refused")
        .expect("the refusal's log line");
    server.kill().unwrap();
    server.wait().unwrap();
    let fields = &refused["fields"];
    assert_eq!(fields["status"], 401, "{refused}");
    assert_eq!(fields["code"], "1801", "{refused}");
    assert_eq!(fields["route"], "/v1/sessions/{id}/media", "{refused}");
    let latency = fields["latency_ms"].to_string();
    let decimals = latency.split_once('.').map_or(0, |(_, d)| d.len());
    assert!(decimals <= 3, "latency_ms {latency} has float noise");
    assert!(
        !refused.to_string().contains("a1c68aea"),
        "the raw path reached the log: {refused}"
    );
}

#[test]
fn a_parsed_command_line_never_prints_a_shared_secret() {
    let secret = "hunter2-shared-secret";
    for args in [
        vec!["kycmedia", "sign", "--secret", secret, "payload"],
        vec!["kycmedia", "api", "--shared-secret", secret, "attempts", "x"],
        vec![
            "kycmedia",
            "integration",
            "revoke-secret",
            "a1c68aea-7f4d-478d-80ab-ca9356074f69",
            secret,
        ],
    ] {
        let cli = kycmedia::cli::parse(args.iter().map(Into::into).collect()).expect("parses");
        let shown = format!("{cli:?}");
        assert!(!shown.contains(secret), "{args:?} printed: {shown}");
        assert!(shown.contains("REDACTED"), "{shown}");
    }
}

#[tokio::test]
async fn an_integration_never_prints_its_shared_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("k.db").display());
    let store = kycmedia::store::connect(&url, 1, None).await.unwrap();
    let created = kycmedia::admin::create_integration(store.as_ref(), "n").await.unwrap();
    let secret = secrecy::ExposeSecret::expose_secret(&created.secrets[0]).to_owned();
    assert!(!format!("{created:?}").contains(&secret), "{created:?}");
}
