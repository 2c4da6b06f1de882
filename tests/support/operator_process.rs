//! The operator binary as a subprocess against the test control plane, with its metrics and
//! probe endpoints on free loopback ports. Killed (SIGKILL) on drop, so a failing test never
//! leaves an operator running into the next test binary.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct OperatorProcess {
    child: Child,
    pub name: String,
    pub metrics: SocketAddr,
    pub health: SocketAddr,
    pub log: PathBuf,
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr")
}

impl OperatorProcess {
    /// `ecs-operator run <args>` with `POD_NAME=<name>`; its log goes to
    /// `$CARGO_TARGET_TMPDIR/operator-<name>.log`.
    pub fn start(name: &str, args: &[&str]) -> Self {
        let kubeconfig = std::env::var("ECS_TEST_KUBECONFIG").expect("ECS_TEST_KUBECONFIG");
        let (metrics, health) = (free_port(), free_port());
        let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("operator-{name}.log"));
        let file = std::fs::File::create(&log).expect("operator log file");
        let child = Command::new(env!("CARGO_BIN_EXE_ecs-operator"))
            .arg("run")
            .args([
                "--metrics-bind-address",
                &metrics.to_string(),
                "--health-probe-bind-address",
                &health.to_string(),
                // As the in-process test operator: healthy after 2 s, not ECS's 40 s.
                "--healthy-after-seconds",
                "2",
                "--node-lost-after-seconds",
                "3",
            ])
            .args(args)
            .env("KUBECONFIG", kubeconfig)
            .env("POD_NAME", name)
            .env("RUST_LOG", "info")
            .stdout(Stdio::from(file.try_clone().expect("log file")))
            .stderr(Stdio::from(file))
            .spawn()
            .expect("start the operator");
        Self {
            child,
            name: name.to_string(),
            metrics,
            health,
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown code runs, the Lease is not released.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM: what the kubelet sends first.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {}", self.pid());
    }

    /// The exit status, once the process has exited within `deadline`.
    pub async fn wait_exit(&mut self, deadline: Duration) -> Option<ExitStatus> {
        let start = tokio::time::Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if start.elapsed() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// GET from the metrics endpoint: (status code, body), or None if nothing answers.
    pub async fn get_metrics(&self, path: &str) -> Option<(u16, String)> {
        http_get(self.metrics, path).await
    }

    /// GET from the probe endpoint.
    pub async fn get_health(&self, path: &str) -> Option<(u16, String)> {
        http_get(self.health, path).await
    }

    /// Polls `GET path` on the probe port until it answers `code`.
    pub async fn wait_probe(&self, path: &str, code: u16, deadline: Duration) -> bool {
        let start = tokio::time::Instant::now();
        loop {
            if self.get_health(path).await.is_some_and(|(c, _)| c == code) {
                return true;
            }
            if start.elapsed() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// One sample of the exposition (`name{labels}` exactly as written), if present.
    pub async fn metric(&self, series: &str) -> Option<f64> {
        let (code, body) = self.get_metrics("/metrics").await?;
        if code != 200 {
            return None;
        }
        sample(&body, series)
    }
}

impl Drop for OperatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of `series` (`name` or `name{labels}`) in a text exposition.
pub fn sample(body: &str, series: &str) -> Option<f64> {
    body.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?;
        rest.strip_prefix(' ')?.trim().parse().ok()
    })
}

/// A minimal HTTP/1.1 GET with `Connection: close` (no client crate for two endpoints).
pub async fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let io = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.ok()?;
        let text = String::from_utf8_lossy(&raw).to_string();
        let (head, body) = text.split_once("\r\n\r\n")?;
        let code = head.split_whitespace().nth(1)?.parse().ok()?;
        Some((code, body.to_string()))
    };
    tokio::time::timeout(Duration::from_secs(5), io)
        .await
        .ok()
        .flatten()
}
