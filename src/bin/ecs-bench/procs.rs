//! Child processes the harness owns (kube-controller-manager, kube-scheduler, the operator)
//! and what /proc says about them: CPU seconds and peak RSS.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// A process started by the harness, stopped (SIGTERM, then SIGKILL) when dropped, so an
/// error or panic anywhere never leaves one behind.
pub struct Proc {
    pub name: String,
    child: Child,
}

impl Proc {
    /// Starts `program args` with stdout/stderr appended to `log`, in its own process group
    /// (so a Ctrl-C aimed at the harness does not kill it before the harness stops it).
    pub fn spawn(
        name: &str,
        program: &Path,
        args: &[String],
        env: &[(&str, String)],
        log: &Path,
    ) -> Result<Self> {
        use std::os::unix::process::CommandExt;
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("open {}", log.display()))?;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .process_group(0);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("start {name} ({})", program.display()))?;
        Ok(Self {
            name: name.to_string(),
            child,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails when the process has already exited (a bad flag, a port in use).
    pub fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} exited early: {status}", self.name);
        }
        Ok(())
    }

    pub fn usage(&self) -> Usage {
        Usage::of(self.pid())
    }

    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// CPU seconds (user + system) so far and peak resident memory of one process.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    pub cpu_seconds: f64,
    pub peak_rss_bytes: u64,
}

impl Usage {
    /// Reads /proc/<pid>/stat (utime, stime: fields 14 and 15, in clock ticks of 1/100 s on
    /// Linux) and /proc/<pid>/status (VmHWM). A vanished process reads as zero.
    pub fn of(pid: u32) -> Self {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The command name (field 2) may contain spaces; fields after it follow the last ')'.
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // `after` starts at field 3 (state), so utime (14) is index 11 and stime (15) index 12.
        let cpu_seconds = (ticks(11) + ticks(12)) as f64 / 100.0;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let peak_rss_bytes = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .unwrap_or(0);
        Self {
            cpu_seconds,
            peak_rss_bytes,
        }
    }
}

/// CPU seconds used so far by each running process whose command name is one of `names`
/// (summed per name): the control plane's processes, which the harness did not spawn.
pub fn cpu_by_name(names: &[&str]) -> BTreeMap<String, f64> {
    let mut cpu: BTreeMap<String, f64> = names.iter().map(|n| (n.to_string(), 0.0)).collect();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return cpu;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if let Some(total) = cpu.get_mut(comm.trim()) {
            *total += Usage::of(pid).cpu_seconds;
        }
    }
    cpu
}

/// The whole machine's idle and steal seconds so far, summed over its cores (/proc/stat's
/// `cpu` line, in ticks of 1/100 s), as `(idle)` and `(steal)`: whether a slow run had the
/// cores to itself, or lost them to the hypervisor (steal).
pub fn machine_times() -> BTreeMap<String, f64> {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .lines()
        .find_map(|l| l.strip_prefix("cpu "))
        .map(|rest| {
            rest.split_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    // user nice system idle iowait irq softirq steal …
    let seconds = |i: usize| fields.get(i).copied().unwrap_or(0) as f64 / 100.0;
    BTreeMap::from([
        ("(idle)".to_string(), seconds(3) + seconds(4)),
        ("(steal)".to_string(), seconds(7)),
    ])
}

/// Runs a command to completion; fails with its output when it fails.
pub fn run(program: &str, args: &[&str], env: &[(&str, String)]) -> Result<String> {
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .with_context(|| format!("run {program} {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "{program} {} failed ({}): {}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Waits until `url` answers 200 (curl -k: the components serve self-signed certificates).
pub async fn wait_healthy(url: &str, proc: &mut Proc, deadline: Duration) -> Result<()> {
    let start = Instant::now();
    loop {
        proc.check_alive()?;
        let ok = Command::new("curl")
            .args(["-fsk", "--max-time", "2", "-o", "/dev/null", url])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            return Ok(());
        }
        if start.elapsed() > deadline {
            bail!("{} not healthy at {url} within {deadline:?}", proc.name);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn path_string(p: &Path) -> String {
    p.display().to_string()
}

pub fn exe_dir_sibling(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let p = exe.parent()?.join(name);
    p.exists().then_some(p)
}
