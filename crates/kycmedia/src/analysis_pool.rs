//! Where pixel analyses run: threads of their own, at a lower scheduling
//! priority than the threads that answer requests.
//!
//! Decoding a photo holds a core for tens of milliseconds. On the runtime's
//! blocking pool that core is held at the same priority as the thread
//! answering another tenant's read, whose p99 then grows with the first
//! tenant's flood of uploads (bench/fairness.sh). At a higher nice value the
//! kernel gives the core to a runnable request thread first: analyses use
//! what the answers leave, and an idle machine runs them at full speed.
//!
//! How many are admitted at once is bounded before a job gets here
//! (`Core::analysis_slots`, `Admission::analysis_share`); the pool has a
//! thread a core, since analyses are CPU work. Each thread keeps the memory
//! of the images it decoded for the next one (the allocator's arena a
//! thread): with a thread a slot, twice as many, the server held 15 MiB
//! more after ten uploads.

use std::panic::{AssertUnwindSafe, catch_unwind};

use anyhow::anyhow;

/// The nice value of the analysis threads: the lowest. At 10 another
/// tenant's read p99 still grew 2.3 times under a flood of uploads on two
/// cores, at 19 1.5 times (bench/fairness.sh), and the flood's own upload
/// rate did not change: the analyses had the cores the answers left anyway.
const NICENESS: i32 = 19;

type Job = Box<dyn FnOnce() + Send>;

/// The analysis threads; they end when the pool is dropped.
pub struct AnalysisPool {
    jobs: flume::Sender<Job>,
}

impl AnalysisPool {
    /// Starts `threads` threads.
    pub fn start(threads: usize) -> std::io::Result<Self> {
        let (jobs, incoming) = flume::unbounded::<Job>();
        for n in 0..threads.max(1) {
            let incoming = incoming.clone();
            std::thread::Builder::new()
                .name(format!("kycmedia-analysis-{n}"))
                .spawn(move || {
                    lower_priority();
                    while let Ok(job) = incoming.recv() {
                        job();
                    }
                })?;
        }
        Ok(AnalysisPool { jobs })
    }

    /// Runs `work` on an analysis thread and returns what it returned. A
    /// panic in `work` is an error here; the thread goes on to the next job.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            if let Ok(value) = catch_unwind(AssertUnwindSafe(work)) {
                let _ = done.send(value);
            }
        });
        self.jobs
            .send(job)
            .map_err(|_| anyhow!("the analysis threads have stopped"))?;
        result.await.map_err(|_| anyhow!("the analysis panicked"))
    }
}

/// Raises the calling thread's nice value. On Linux a thread id names one
/// thread to `setpriority`, not its process; elsewhere this does nothing.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let thread = rustix::thread::gettid();
        if let Err(e) = rustix::process::setpriority_process(Some(thread), NICENESS) {
            tracing::debug!(error = %e, "analysis threads keep the request threads' priority");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_runs_and_a_panicking_one_is_an_error_that_leaves_the_thread_working() {
        let pool = AnalysisPool::start(1).unwrap();
        assert_eq!(pool.run(|| 6 * 7).await.unwrap(), 42);
        let failed = pool.run(|| -> u8 { panic!("a decoder bug") }).await;
        assert!(failed.is_err());
        assert_eq!(pool.run(|| "still here").await.unwrap(), "still here");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn analysis_threads_run_at_a_lower_priority_than_the_caller() {
        let pool = AnalysisPool::start(1).unwrap();
        let own = rustix::process::getpriority_process(None).unwrap();
        let theirs = pool
            .run(|| rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap())
            .await
            .unwrap();
        assert_eq!(theirs, (own + NICENESS).min(19));
    }
}
