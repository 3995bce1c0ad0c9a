//! Encryption at rest, on the binary's backend: what a thief of the media
//! directory, the bucket or the database file gets, crypto-shredding, and
//! the keys commands an operator runs.

use std::path::Path;

use futures::TryStreamExt;
use kycmedia::{
    app::Application,
    store::copy::{RowKey, Rows, Table},
    testing,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, Place, Tenant, TestApp, fixture, spawn_app_in};

/// Runs a command of the binary on `place`, with `key_file` as the master key.
fn kycmedia(place: &Place, key_file: &Path, args: &[&str]) -> (bool, Value, String) {
    let mut command = crate::helpers::binary();
    command
        .args(args)
        .env("KYCMEDIA_DATABASE", &place.database)
        .env("KYCMEDIA_STORAGE", &place.storage)
        .env("KYCMEDIA_MASTER_KEY_FILE", key_file);
    if let Some(endpoint) = &place.storage_endpoint {
        command.env("KYCMEDIA_STORAGE_ENDPOINT", endpoint);
        if let Some(services) = crate::services::services() {
            command.envs(services.s3_env());
        }
    }
    let out = command.output().expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    (
        out.status.success(),
        serde_json::from_str(stdout.trim()).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A key file of its own, beside nothing else.
fn new_key_file(dir: &Path, name: &str, keys: &[String]) -> std::path::PathBuf {
    let path = dir.join(name);
    crate::helpers::write_private(&path, &(keys.join("\n") + "\n"));
    path
}

fn key_line(file: &Path) -> String {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned()
}

/// A session with a document photo and a selfie; their media ids.
async fn two_photos(app: &TestApp, tenant: &Tenant) -> (String, Vec<String>) {
    let session = app.create_session(tenant, json!({})).await;
    let ids = vec![
        app.upload_ok(
            tenant,
            &session,
            "image",
            "document-front",
            &fixture("document-front.jpg"),
        )
        .await,
        app.upload_ok(tenant, &session, "image", "face", &fixture("face.jpg"))
            .await,
    ];
    (session, ids)
}

async fn download(app: &TestApp, tenant: &Tenant, media: &str) -> crate::helpers::Reply {
    app.signed(Method::GET, tenant, &format!("/v1/media/{media}"), media)
        .await
}

/// Every stored object's raw bytes, as a thief of the directory or bucket has them.
async fn stolen_objects(app: &TestApp) -> Vec<(String, Vec<u8>)> {
    let keys: Vec<String> = app
        .core
        .blobs
        .list()
        .map_ok(|listed| listed.key)
        .try_collect()
        .await
        .unwrap();
    let mut out = Vec::new();
    for key in keys {
        let bytes: Vec<bytes::Bytes> = app.core.blobs.get(&key).await.unwrap().try_collect().await.unwrap();
        out.push((key, bytes.concat()));
    }
    out
}

/// Every table row as stored, as a thief of the database has them.
async fn stolen_rows(place: &Place) -> Vec<Rows> {
    let copy = kycmedia::store::connect_for_copy(&place.database, 1).await.unwrap();
    let mut out = Vec::new();
    for table in Table::ALL {
        out.push(copy.export(table, &RowKey::default(), 10_000).await.unwrap());
    }
    out
}

/// Windows of `plain` a ciphertext must not contain.
fn windows(plain: &[u8]) -> Vec<&[u8]> {
    [plain.len() / 5, plain.len() / 2, plain.len() * 4 / 5]
        .into_iter()
        .map(|at| &plain[at..at + 32])
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_stolen_media_directory_bucket_or_database_reveals_no_media_byte_and_no_secret() {
    let Some(place) = Place::fresh().await else { return };
    let app = spawn_app_in(place.clone(), &[]).await;
    let tenant = app.tenant().await;
    let (_, ids) = two_photos(&app, &tenant).await;
    let photos = [fixture("document-front.jpg"), fixture("face.jpg")];
    for (id, photo) in ids.iter().zip(&photos) {
        let reply = download(&app, &tenant, id).await;
        assert_eq!(reply.status, 200);
        assert_eq!(&reply.body, photo, "downloads are the plaintext");
        reply.assert_signed(&tenant);
    }

    let objects = stolen_objects(&app).await;
    assert_eq!(objects.len(), 2);
    for (key, stored) in &objects {
        for photo in &photos {
            for window in windows(photo) {
                assert!(!contains(stored, window), "object {key} holds bytes of a photo");
            }
        }
        assert!(stored.starts_with(b"kycmseal"), "object {key} is sealed");
    }
    // Every row as stored: a shared secret's `Debug` is redacted, so its
    // stored text is looked at below.
    let rows = format!("{:?}", stolen_rows(&place).await);
    for window in windows(&photos[1]) {
        assert!(!contains(rows.as_bytes(), window));
    }
    let copy = kycmedia::store::connect_for_copy(&place.database, 1).await.unwrap();
    let Rows::Secrets(secrets) = copy.export(Table::Secrets, &RowKey::default(), 100).await.unwrap() else {
        unreachable!()
    };
    for row in &secrets {
        let stored = secrecy::ExposeSecret::expose_secret(&row.secret);
        assert!(stored.starts_with("sealed-v1:"), "{stored}");
        assert!(!stored.contains(&tenant.secret));
    }

    // The files themselves, WAL included, on the embedded backend.
    if crate::BACKEND == Backend::Sqlite {
        let db = Path::new(place.database.trim_start_matches("sqlite://"));
        let media_dir = Path::new(place.storage.trim_start_matches("file://"));
        let mut files = vec![db.to_owned(), db.with_extension("db-wal")];
        for entry in walk(media_dir) {
            files.push(entry);
        }
        for file in files.iter().filter(|f| f.exists()) {
            let bytes = std::fs::read(file).unwrap();
            assert!(
                !contains(&bytes, tenant.secret.as_bytes()),
                "{} holds the secret",
                file.display()
            );
            for photo in &photos {
                for window in windows(photo) {
                    assert!(!contains(&bytes, window), "{} holds bytes of a photo", file.display());
                }
            }
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test]
async fn a_deleted_sessions_objects_cannot_be_opened_even_from_a_copy_taken_before() {
    let Some(place) = Place::fresh().await else { return };
    let app = spawn_app_in(place.clone(), &[]).await;
    let tenant = app.tenant().await;
    let (session, ids) = two_photos(&app, &tenant).await;
    let before = stolen_objects(&app).await;
    let copy = kycmedia::store::connect_for_copy(&place.database, 1).await.unwrap();
    let keys_of = |rows: Rows| match rows {
        Rows::ObjectKeys(keys) => keys.into_iter().map(|k| k.media_id.to_string()).collect::<Vec<_>>(),
        _ => unreachable!(),
    };
    let mut stored_keys = keys_of(copy.export(Table::ObjectKeys, &RowKey::default(), 100).await.unwrap());
    stored_keys.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(stored_keys, expected, "one data key per object");

    let reply = app
        .signed(Method::DELETE, &tenant, &format!("/v1/sessions/{session}"), &session)
        .await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    // The keys went with the rows, in the delete's own transaction: the
    // copy of the objects taken before (a backup, a lazy bucket) is noise.
    assert!(keys_of(copy.export(Table::ObjectKeys, &RowKey::default(), 100).await.unwrap()).is_empty());
    for (key, _) in &before {
        let gone = app.core.blobs.get(key).await;
        assert!(gone.is_err(), "object {key} is erased too");
    }
}

#[tokio::test]
async fn an_object_swapped_between_two_rows_fails_to_download_instead_of_showing_the_other_photo() {
    let Some(place) = Place::fresh().await else { return };
    let app = spawn_app_in(place, &[]).await;
    let tenant = app.tenant().await;
    let (_, ids) = two_photos(&app, &tenant).await;
    let objects = stolen_objects(&app).await;
    let (a, b) = (&objects[0], &objects[1]);
    app.core.blobs.put(&a.0, b.1.clone().into()).await.unwrap();
    app.core.blobs.put(&b.0, a.1.clone().into()).await.unwrap();
    for id in &ids {
        let reply = download(&app, &tenant, id).await;
        reply.assert_error(500, "1101");
    }
}

#[tokio::test]
async fn serve_refuses_without_a_master_key_or_with_the_wrong_one_and_says_what_to_give() {
    let Some(place) = Place::fresh().await else { return };
    let app = spawn_app_in(place.clone(), &[]).await;
    let tenant = app.tenant().await;
    two_photos(&app, &tenant).await;
    app.stop().await;

    let mut flags: Vec<String> = place.serve_args();
    let at = flags.iter().position(|f| f == "--master-key-file").unwrap();
    flags.drain(at..at + 2);
    let refusal = |flags: &[String]| {
        let mut config = testing::serve_config(flags);
        config.storage.storage_options = place.storage_options.clone();
        async move {
            match Application::build(&config).await {
                Ok(_) => panic!("serve started"),
                Err(e) => kycmedia::error::describe(&e),
            }
        }
    };
    let none = refusal(&flags).await;
    assert!(
        none.contains("no master key") && none.contains("kycmedia keys generate"),
        "{none}"
    );

    let dir = tempfile::tempdir().unwrap();
    let other = new_key_file(dir.path(), "other.key", &[kycmedia::keys::generate_line()]);
    let mut wrong = flags.clone();
    wrong.extend(["--master-key-file".to_owned(), other.display().to_string()]);
    let wrong = refusal(&wrong).await;
    assert!(wrong.contains("which the master key file does not hold"), "{wrong}");

    let mut plain = flags.clone();
    plain.push("--insecure-plaintext".to_owned());
    let plain = refusal(&plain).await;
    assert!(plain.contains("are encrypted; give the master key file"), "{plain}");
}

#[tokio::test]
async fn keys_rotate_rewraps_every_data_key_and_the_new_key_alone_then_reads_everything() {
    let Some(place) = Place::fresh().await else { return };
    let app = spawn_app_in(place.clone(), &[]).await;
    let tenant = app.tenant().await;
    let (_, ids) = two_photos(&app, &tenant).await;
    let before = stolen_objects(&app).await;
    app.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let old = key_line(crate::helpers::master_key_file());
    let new = kycmedia::keys::generate_line();
    let ring = new_key_file(dir.path(), "ring.key", &[new.clone(), old]);
    let (ok, report, stderr) = kycmedia(&place, &ring, &["keys", "rotate"]);
    assert!(ok, "{stderr}");
    assert_eq!(report["dataKeysRewrapped"], 2, "{report}");
    assert_eq!(report["secretsResealed"], 1, "{report}");
    let id = report["masterKeyId"].as_str().unwrap();
    assert_eq!(report["census"]["objectsByMasterKey"], json!({ id: 2 }), "{report}");
    assert_eq!(report["census"]["secretsByMasterKey"], json!({ id: 1 }), "{report}");
    // Run again, as after an interruption: nothing left to do.
    let (ok, again, _) = kycmedia(&place, &ring, &["keys", "rotate"]);
    assert!(ok);
    assert_eq!(again["dataKeysRewrapped"], 0);

    let only_new = new_key_file(dir.path(), "new.key", &[new]);
    let mut flags = place.serve_args();
    let at = flags.iter().position(|f| f == "--master-key-file").unwrap();
    flags[at + 1] = only_new.display().to_string();
    let mut config = testing::serve_config(&flags);
    config.storage.storage_options = place.storage_options.clone();
    let server = testing::RunningServer::start(&config).await;
    let client = reqwest::Client::new();
    for (id, photo) in ids.iter().zip([fixture("document-front.jpg"), fixture("face.jpg")]) {
        let signature = crate::helpers::hmac(&tenant.secret, id.as_bytes());
        let reply = client
            .get(format!("{}/v1/media/{id}", server.base))
            .header("X-AUTH-CLIENT", &tenant.api_key)
            .header("X-HMAC-SIGNATURE", signature)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.bytes().await.unwrap().as_ref(), photo.as_slice());
    }
    // The objects themselves were not rewritten.
    let after: Vec<(String, Vec<u8>)> = {
        let mut out = Vec::new();
        for (key, _) in &before {
            let bytes: Vec<bytes::Bytes> = server.core.blobs.get(key).await.unwrap().try_collect().await.unwrap();
            out.push((key.clone(), bytes.concat()));
        }
        out
    };
    assert_eq!(after, before);
    server.stop().await;
}

#[tokio::test]
async fn an_installation_from_before_encryption_is_refused_until_encrypt_existing_seals_it() {
    let Some(place) = Place::fresh().await else { return };
    let app = spawn_app_in(place.clone(), &["--insecure-plaintext"]).await;
    let tenant = app.tenant().await;
    let (_, ids) = two_photos(&app, &tenant).await;
    let plaintext = stolen_objects(&app).await;
    assert!(
        plaintext.iter().any(|(_, b)| b == &fixture("face.jpg")),
        "stored as uploaded"
    );
    app.stop().await;

    let mut config = testing::serve_config(&place.serve_args());
    config.storage.storage_options = place.storage_options.clone();
    let refused = match Application::build(&config).await {
        Ok(_) => panic!("serve started on plaintext"),
        Err(e) => kycmedia::error::describe(&e),
    };
    assert!(
        refused.contains("2 media objects and 1 shared secrets are stored in plaintext")
            && refused.contains("kycmedia keys encrypt-existing"),
        "{refused}"
    );

    let key = crate::helpers::master_key_file();
    let (ok, report, stderr) = kycmedia(&place, key, &["keys", "encrypt-existing"]);
    assert!(ok, "{stderr}");
    assert_eq!(report["objectsSealed"], 2, "{report}");
    assert_eq!(report["secretsSealed"], 1, "{report}");
    assert_eq!(report["census"]["plaintextObjects"], 0, "{report}");
    let (ok, again, _) = kycmedia(&place, key, &["keys", "encrypt-existing"]);
    assert!(ok);
    assert_eq!(again["objectsSealed"], 0, "a second run has nothing to do");

    let app = spawn_app_in(place.clone(), &[]).await;
    for (id, photo) in ids.iter().zip([fixture("document-front.jpg"), fixture("face.jpg")]) {
        let reply = download(&app, &tenant, id).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, photo);
        reply.assert_signed(&tenant);
    }
    let sealed = stolen_objects(&app).await;
    assert_eq!(sealed.len(), 2, "the plaintext copies are erased");
    assert!(sealed.iter().all(|(_, b)| b.starts_with(b"kycmseal")));
    let (ok, status, _) = kycmedia(&place, key, &["keys", "status"]);
    assert!(ok);
    assert_eq!(status["plaintextObjects"], 0);
    assert_eq!(status["plaintextSecrets"], 0);
}
