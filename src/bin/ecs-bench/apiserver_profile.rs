//! A CPU profile of the API server over each run's first seconds, on request
//! (`BENCH_APISERVER_PPROF=<dir>`): what the API server spends its cores on while an arm
//! creates its Pods, so the arms' costs to it can be compared function by function (read with
//! `go tool pprof -top <file>`). A profiling run, not a measurement: the profiler's signals
//! cost the API server a little CPU in every arm alike.

use std::path::PathBuf;

use futures::AsyncReadExt;
use tokio::task::JoinHandle;

/// Seconds profiled from t0 (`BENCH_APISERVER_PPROF_SECONDS`, default 2: about the
/// create round at N = 1000).
fn seconds() -> u32 {
    std::env::var("BENCH_APISERVER_PPROF_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
}

/// Starts profiling the API server now when asked to; the handle finishes once the profile
/// is written to `<dir>/apiserver-<tag>.pprof`.
pub fn start(admin: &kube::Client, tag: &str) -> Option<JoinHandle<()>> {
    let dir = PathBuf::from(std::env::var_os("BENCH_APISERVER_PPROF")?);
    let out = dir.join(format!("apiserver-{tag}.pprof"));
    let admin = admin.clone();
    let url = format!("/debug/pprof/profile?seconds={}", seconds());
    Some(tokio::spawn(async move {
        let fetched = async {
            let request = http::Request::get(url).body(Vec::new())?;
            let mut body = admin.request_stream(request).await?;
            let mut bytes = Vec::new();
            body.read_to_end(&mut bytes).await?;
            std::fs::create_dir_all(&dir)?;
            std::fs::write(&out, bytes)?;
            anyhow::Ok(())
        };
        if let Err(e) = fetched.await {
            eprintln!("[bench] API server profile {}: {e:#}", out.display());
        }
    }))
}
