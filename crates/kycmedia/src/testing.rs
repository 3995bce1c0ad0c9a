//! What the server's and the SDK's test suites share: a real server on
//! `127.0.0.1:0`, started from `serve` flags exactly as the command line
//! parses them, and stopped gracefully. Compiled into the library (it is a
//! few lines and needs nothing else), hidden from its documentation.

use std::sync::Arc;

use clap::Parser;
use secrecy::ExposeSecret;
use tokio::{sync::oneshot, task::JoinHandle};

use crate::{
    admin,
    app::Application,
    cli::{Cli, Command},
    config::ServeConfig,
    state::Core,
};

/// An integration's credentials, as a client holds them.
#[derive(Clone)]
pub struct Tenant {
    pub api_key: String,
    pub secret: String,
}

/// The rate limits a test server runs without, unless its flags set them:
/// suites race dozens of requests of one tenant, and delete more sessions
/// than the provider's limit allows an hour. The tests of the limits set them.
const UNLIMITED_IN_TESTS: [&str; 4] = [
    "--integration-requests-per-second",
    "--address-requests-per-second",
    "--session-deletes-per-hour",
    "--session-deletes-per-day",
];

/// `serve`'s configuration from its flags (`--database …`, `--storage …`).
pub fn serve_config(flags: &[String]) -> ServeConfig {
    let unlimited = UNLIMITED_IN_TESTS
        .into_iter()
        .filter(|flag| !flags.iter().any(|given| given == flag))
        .flat_map(|flag| [flag, "0"]);
    let args = ["kycmedia", "serve", "--listen", "127.0.0.1:0"]
        .into_iter()
        .chain(unlimited)
        .map(String::from)
        .chain(flags.iter().cloned());
    let Command::Serve(config) = Cli::parse_from(args).command else {
        unreachable!("parsed a serve command")
    };
    config
}

/// A running server; dropping it stops it too.
pub struct RunningServer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    pub core: Arc<Core>,
    stop: Option<oneshot::Sender<()>>,
    served: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// Builds and starts the server `config` describes.
    pub async fn start(config: &ServeConfig) -> RunningServer {
        let app = Application::build(config).await.expect("the server builds");
        let base = format!("http://{}", app.local_addr());
        let core = app.core();
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(async move {
            app.run_until(async move {
                let _ = stopped.await;
            })
            .await
            .expect("the server runs");
        });
        RunningServer {
            base,
            core,
            stop: Some(stop),
            served: Some(served),
        }
    }

    /// Stops the server gracefully and waits until it has.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(served) = self.served.take() {
            served.await.expect("the server stops cleanly");
        }
    }

    /// A new integration on this server's database.
    pub async fn tenant(&self, name: &str) -> Tenant {
        let created = admin::create_integration(self.core.store.as_ref(), name)
            .await
            .expect("an integration");
        Tenant {
            secret: created.secrets[0].expose_secret().to_owned(),
            api_key: created.integration.api_key.clone(),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
