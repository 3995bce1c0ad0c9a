//! Rotating shared secrets without downtime.

use kycmedia::admin;
use kycmedia_client::{Error, NewSession};

use crate::{
    proxy::{self, Mode},
    server::{PROPAGATION, builder, session_with_a_face, spawn},
};

#[tokio::test]
async fn a_client_holding_the_new_and_old_secrets_works_before_and_after_the_old_one_is_revoked() {
    let server = spawn().await;
    let tenant = server.tenant().await;
    let old_only = server.client(&tenant);
    let (session, _) = session_with_a_face(&old_only).await;

    let added = admin::add_secret(server.core.store.as_ref(), &tenant.api_key)
        .await
        .expect("added");
    let new = added["sharedSecret"].as_str().expect("a secret").to_owned();
    tokio::time::sleep(PROPAGATION).await;
    let rotated = builder(&server.base, &tenant)
        .secrets([new.clone(), tenant.secret.clone()])
        .build()
        .expect("a client");
    // Both secrets sign valid requests while both are active.
    assert_eq!(
        rotated.session_media(&session).await.expect("new secret").images.len(),
        1
    );
    assert_eq!(
        old_only.session_media(&session).await.expect("old secret").images.len(),
        1
    );

    admin::revoke_secret(server.core.store.as_ref(), &tenant.api_key, &tenant.secret)
        .await
        .expect("revoked");
    tokio::time::sleep(PROPAGATION).await;
    assert_eq!(
        rotated
            .session_media(&session)
            .await
            .expect("after revocation")
            .images
            .len(),
        1
    );
    match old_only.session_media(&session).await {
        Err(Error::Api { status: 401, .. }) => {}
        other => panic!("the revoked secret must be refused, got {other:?}"),
    }
}

#[tokio::test]
async fn a_response_signed_with_any_configured_secret_is_accepted_and_no_other() {
    let server = spawn().await;
    let tenant = server.tenant().await;
    let added = admin::add_secret(server.core.store.as_ref(), &tenant.api_key)
        .await
        .expect("added");
    let new = added["sharedSecret"].as_str().expect("a secret").to_owned();
    tokio::time::sleep(PROPAGATION).await;
    // An unsigned session creation is answered with the newest secret,
    // not the one this client signs with.
    let proxy = proxy::start(&server.base, Mode::StripRequestSignature).await;

    let holding_both = builder(&proxy.base, &tenant).add_secret(new).build().expect("a client");
    let created = holding_both.create_session(&NewSession::new()).await.expect("accepted");
    assert_eq!(created.verification.status, "created");

    let holding_old = builder(&proxy.base, &tenant).build().expect("a client");
    match holding_old.create_session(&NewSession::new()).await {
        Err(Error::BadSignature { status: 201 }) => {}
        other => panic!("a signature by an unknown secret must be refused, got {other:?}"),
    }
}
