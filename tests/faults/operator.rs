//! The operator as real subprocesses (the binary `cargo test` built), one or more replicas,
//! killed with SIGKILL and restarted. Every replica logs to its own file under
//! target/faults-logs, which the suite scans for panics. Dropping `Operators` kills them all,
//! so a failing test never leaves one running against the plane the next test binary uses.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct Options {
    /// Kubeconfig the replicas use (e.g. one that goes through a `Proxy`).
    pub kubeconfig: String,
    pub replicas: usize,
    /// `--leader-elect` with the Lease in this namespace (needed for more than one replica).
    pub leader_election_namespace: Option<String>,
    pub extra_args: Vec<String>,
    /// Log file prefix (scenario name).
    pub tag: String,
}

impl Options {
    pub fn one(tag: &str) -> Self {
        Self {
            kubeconfig: super::support::kubeconfig_path(),
            replicas: 1,
            leader_election_namespace: None,
            extra_args: Vec::new(),
            tag: tag.into(),
        }
    }
}

pub struct Operators {
    options: Options,
    children: Vec<Option<Child>>,
    starts: usize,
    logs: Vec<PathBuf>,
}

fn log_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/faults-logs"));
    std::fs::create_dir_all(&dir).expect("log dir");
    dir
}

/// Whether the binary has leader election (`--leader-elect`), which two replicas need.
pub fn has_leader_election() -> bool {
    Command::new(env!("CARGO_BIN_EXE_ecs-operator"))
        .args(["run", "--help"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--leader-elect"))
}

impl Operators {
    pub fn start(options: Options) -> Self {
        let mut ops = Self {
            children: Vec::new(),
            starts: 0,
            logs: Vec::new(),
            options,
        };
        for i in 0..ops.options.replicas {
            let child = ops.spawn(i);
            ops.children.push(Some(child));
        }
        ops
    }

    fn spawn(&mut self, replica: usize) -> Child {
        self.starts += 1;
        let log = log_dir().join(format!("{}-{}.log", self.options.tag, self.starts));
        let file = std::fs::File::create(&log).expect("operator log");
        self.logs.push(log);
        let mut args: Vec<String> = [
            "run",
            "--healthy-after-seconds",
            "2",
            "--node-lost-after-seconds",
            "3",
            // No endpoints: two replicas on one machine cannot share ports 8080/8081.
            "--metrics-bind-address",
            "0",
            "--health-probe-bind-address",
            "0",
        ]
        .map(String::from)
        .to_vec();
        if let Some(ns) = &self.options.leader_election_namespace {
            args.extend([
                "--leader-elect".into(),
                "--leader-election-namespace".into(),
                ns.clone(),
                "--leader-election-id".into(),
                format!("faults-{}", self.options.tag),
                // A short Lease (as tests/leader): a killed leader's successor takes over in
                // about 6 s, inside the watcher's 30 s window for a scale-down to act. With the
                // default 15 s Lease two quick kills left surplus tasks past the window.
                "--leader-election-lease-duration-seconds".into(),
                "6".into(),
                "--leader-election-renew-deadline-seconds".into(),
                "4".into(),
                "--leader-election-retry-period-seconds".into(),
                "1".into(),
            ]);
        }
        args.extend(self.options.extra_args.iter().cloned());
        Command::new(env!("CARGO_BIN_EXE_ecs-operator"))
            .args(&args)
            .env("KUBECONFIG", &self.options.kubeconfig)
            .env("POD_NAME", format!("replica-{replica}"))
            // ECS_FAULTS_RUST_LOG digs into one scenario, e.g.
            // `warn,ecs_operator=info,ecs_operator::controllers::ecs_service=debug`.
            .env(
                "RUST_LOG",
                std::env::var("ECS_FAULTS_RUST_LOG").unwrap_or("warn,ecs_operator=info".into()),
            )
            .env("NO_COLOR", "1")
            // Logs go to stdout, panics to stderr: both into the file.
            .stdout(Stdio::from(file.try_clone().expect("log file")))
            .stderr(Stdio::from(file))
            .spawn()
            .expect("start the operator")
    }

    /// SIGKILL replica `i` and start a fresh process in its place.
    pub fn kill_and_restart(&mut self, i: usize) {
        if let Some(mut child) = self.children[i].take() {
            child.kill().expect("SIGKILL the operator");
            child.wait().expect("reap");
        }
        let child = self.spawn(i);
        self.children[i] = Some(child);
    }

    /// The replica currently holding the Lease (by its POD_NAME identity), if any.
    pub async fn leader(&self, client: &kube::Client) -> Option<usize> {
        let ns = self.options.leader_election_namespace.as_ref()?;
        let api: kube::Api<k8s_openapi::api::coordination::v1::Lease> =
            kube::Api::namespaced(client.clone(), ns);
        let lease = api
            .get_opt(&format!("faults-{}", self.options.tag))
            .await
            .ok()??;
        let holder = lease.spec?.holder_identity?;
        holder.strip_prefix("replica-")?.parse().ok()
    }

    /// Every replica is still running (none exited on its own).
    pub fn all_alive(&mut self) -> bool {
        self.children.iter_mut().all(|c| {
            c.as_mut()
                .is_some_and(|c| c.try_wait().ok().flatten().is_none())
        })
    }

    /// Peak resident memory (VmHWM, KiB) of replica `i` so far.
    pub fn peak_rss_kib(&self, i: usize) -> Option<u64> {
        let pid = self.children[i].as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    /// Lines of every log so far that report a panic.
    pub fn panics(&self) -> Vec<String> {
        self.grep("panicked")
    }

    /// Lines of every log so far that contain `needle`.
    pub fn grep(&self, needle: &str) -> Vec<String> {
        self.logs
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .flat_map(|s| {
                s.lines()
                    .filter(|l| l.contains(needle))
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    pub fn starts(&self) -> usize {
        self.starts
    }
}

impl Drop for Operators {
    fn drop(&mut self) {
        for child in self.children.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
