//! A full garbage collection of the API server before each run's settle, so every run of
//! every arm starts from the same point of the API server's GC cycle.
//!
//! Why: at N = 1000 the API server's live heap grows through an invocation (its watch cache
//! keeps 75 s of Pod events, each with its serialised forms: 100 MB at the first run,
//! 450–840 MB by the tenth, measured with `GODEBUG=gctrace=1`), and one mark phase of it
//! costs 0.5–1.5 CPU-s. Left to itself, a cycle started in about half the runs' windows —
//! which ones, by the allocation of the runs before — adding 1–2 s to those runs of either
//! arm: the largest single source of the run-to-run spread (docs/benchmarks.md, session 13).
//! `GET /debug/pprof/heap?gc=1` runs `runtime.GC()` before answering (the plane runs with
//! `--profiling=true` for it); the heap profile it answers with is discarded.

use futures::AsyncReadExt;

/// Runs a full GC in the API server and waits for it. A failure is reported, not fatal:
/// the run is then only as noisy as before.
pub async fn collect(admin: &kube::Client) {
    let collected = async {
        let request = http::Request::get("/debug/pprof/heap?gc=1").body(Vec::new())?;
        let mut body = admin.request_stream(request).await?;
        let mut sink = Vec::new();
        body.read_to_end(&mut sink).await?;
        anyhow::Ok(())
    };
    if let Err(e) = collected.await {
        eprintln!("[bench] API server GC before the run: {e:#}");
    }
}
