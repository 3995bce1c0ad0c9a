//! Serving the router's connections, with what `axum::serve` leaves out: a
//! request head that must arrive in time (hyper's timeout only fires when
//! its builder has a timer), a connection on which nothing moves is closed,
//! a cap on open connections (past it a new one is answered 503 and closed
//! at once, rather than starving the others of descriptors), and the
//! open-files soft limit raised to the hard limit. Each request carries its
//! peer's `ConnectInfo<SocketAddr>`, as `axum::serve` gave it. On shutdown
//! the listener closes, idle connections close, and requests in flight
//! finish.

use std::{
    convert::Infallible,
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{Router, extract::ConnectInfo};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use kycmedia_proto::ApiError;
use tokio::{
    io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{Semaphore, watch},
};
use tower_service::Service as _;

use crate::config::ConnectionArgs;

/// Descriptors kept free of connections, for the database, the media files
/// and the refusals themselves.
const RESERVED_DESCRIPTORS: u64 = 256;
/// Refusals written at once; past that a connection over the cap is closed
/// without a word.
const REFUSALS_AT_ONCE: usize = 256;
/// How long a refusal may take to write, and to read what the client sent.
const REFUSAL_TIME: Duration = Duration::from_secs(1);

/// Raises the open-files soft limit to the hard limit; returns the soft
/// limit in force afterwards (`None` where it cannot be read).
pub fn raise_open_files_limit() -> Option<u64> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    if soft < hard {
        match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => {
                tracing::info!(from = soft, to = hard, "raised the open-files limit");
                return Some(hard);
            }
            Err(e) => tracing::warn!(error = %e, soft, hard, "could not raise the open-files limit"),
        }
    }
    Some(soft)
}

/// The connection cap in force: the setting, or what the open-files limit
/// leaves room for when that is less.
fn connection_cap(setting: usize, open_files: Option<u64>) -> usize {
    let room = open_files.map_or(usize::MAX, |limit| {
        usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS).max(64)).unwrap_or(usize::MAX)
    });
    // A semaphore holds at most this many permits, and shutdown acquires them all at once.
    setting.min(room).clamp(1, u32::MAX as usize)
}

/// Serves `router` on `listener` until `shutdown` resolves, then waits for
/// the open connections to finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: &ConnectionArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let cap = connection_cap(settings.max_connections, raise_open_files_limit());
    if cap < settings.max_connections {
        tracing::warn!(
            cap,
            setting = settings.max_connections,
            "the open-files limit leaves room for fewer connections than --max-connections"
        );
    }
    let slots = Arc::new(Semaphore::new(cap));
    let refusals = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let idle = Duration::from_secs(settings.idle_timeout_secs);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(settings.header_read_timeout_secs))
        .keep_alive(true);
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                let connection = Connection {
                    router: router.clone(),
                    builder: builder.clone(),
                    idle,
                    stopping: stopping.clone(),
                };
                tokio::spawn(async move {
                    connection.serve(stream, peer).await;
                    drop(slot);
                });
            }
            Err(_) => match refusals.clone().try_acquire_owned() {
                Ok(refusal) => {
                    tokio::spawn(async move {
                        refuse(stream).await;
                        drop(refusal);
                    });
                }
                Err(_) => drop(stream),
            },
        }
    }
    drop(listener);
    let _ = stop.send(true);
    // Every open connection holds a slot: all of them back means all closed.
    let _all = slots.acquire_many(cap as u32).await;
    Ok(())
}

/// An accept that failed: a connection reset before it was accepted is
/// nothing; out of descriptors, wait a moment for some to close.
async fn accept_failed(error: io::Error) {
    use io::ErrorKind::*;
    if matches!(error.kind(), ConnectionAborted | ConnectionReset | Interrupted) {
        return;
    }
    tracing::warn!(error = %error, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Answers a connection over the cap with the contract's 503 and closes it:
/// after the client's request head (a client that gets an answer before it
/// has asked takes it for a broken connection), then draining a little of
/// what else it sends, so that the close does not reset the answer away.
async fn refuse(mut stream: TcpStream) {
    let body = serde_json::to_vec(&ApiError::Busy.body()).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         retry-after: 1\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let mut seen = Vec::with_capacity(1024);
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(REFUSAL_TIME, async {
        while seen.len() < 16 * 1024 && !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await? {
                0 => return Ok(()),
                n => seen.extend_from_slice(&buf[..n]),
            }
        }
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
        stream.shutdown().await?;
        let mut drained = 0;
        while drained < 64 * 1024 {
            match stream.read(&mut buf).await? {
                0 => break,
                n => drained += n,
            }
        }
        io::Result::Ok(())
    })
    .await;
}

/// What one connection is served with.
struct Connection {
    router: Router,
    builder: http1::Builder,
    idle: Duration,
    stopping: watch::Receiver<bool>,
}

impl Connection {
    async fn serve(mut self, stream: TcpStream, peer: SocketAddr) {
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched {
            inner: stream,
            activity: activity.clone(),
        });
        let router = self.router.clone();
        let service = service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            async move { Ok::<_, Infallible>(router.call(request).await.unwrap_or_else(|never| match never {})) }
        });
        let connection = self.builder.serve_connection(io, service);
        tokio::pin!(connection);
        let mut closing = false;
        let mut stopped = *self.stopping.borrow();
        if stopped {
            connection.as_mut().graceful_shutdown();
        }
        loop {
            let quiet = activity.quiet_for();
            let wake = tokio::time::Instant::now() + self.idle.saturating_sub(quiet);
            tokio::select! {
                served = connection.as_mut() => {
                    if let Err(e) = served {
                        tracing::debug!(error = %e, "connection ended");
                    }
                    return;
                }
                changed = self.stopping.changed(), if !stopped => {
                    stopped = true;
                    if changed.is_ok() {
                        connection.as_mut().graceful_shutdown();
                    }
                }
                () = tokio::time::sleep_until(wake) => {
                    if activity.quiet_for() < self.idle {
                        continue;
                    }
                    if closing {
                        // Nothing moved for twice the timeout, even with a
                        // response to finish: cut the connection off.
                        return;
                    }
                    // Closes now if between requests, after the response
                    // in flight otherwise.
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                    activity.touch();
                }
            }
        }
    }
}

/// When a byte last moved on a connection.
struct Activity {
    start: Instant,
    /// Milliseconds after `start`.
    last: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity {
            start: Instant::now(),
            last: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(now, Ordering::Relaxed);
    }

    fn quiet_for(&self) -> Duration {
        self.start
            .elapsed()
            .saturating_sub(Duration::from_millis(self.last.load(Ordering::Relaxed)))
    }
}

/// A socket that records when bytes move on it.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_leaves_room_under_the_open_files_limit() {
        assert_eq!(connection_cap(4096, Some(1024)), 768);
        assert_eq!(connection_cap(100, Some(1024)), 100);
        assert_eq!(connection_cap(4096, None), 4096);
        assert_eq!(connection_cap(4096, Some(10)), 64, "never none at all");
    }
}
