//! Flags of the process around the controllers: metrics and probe endpoints, leader
//! election. The Helm chart passes exactly these; keep names and defaults stable.

use std::net::SocketAddr;
use std::time::Duration;

/// `ecs-operator run` operations flags (flattened into `OperatorConfig`).
#[derive(Clone, Debug, clap::Args)]
pub struct OperationsConfig {
    /// Address of the Prometheus endpoint (`GET /metrics`); empty or `0` disables it.
    #[arg(
        long,
        env = "ECS_OPERATOR_METRICS_BIND_ADDRESS",
        default_value = "0.0.0.0:8080"
    )]
    pub metrics_bind_address: String,
    /// Address of the probes: `/healthz` (process alive) and `/readyz` (caches synced and
    /// controllers running, or waiting as a standby); empty or `0` disables it.
    #[arg(
        long,
        env = "ECS_OPERATOR_HEALTH_PROBE_BIND_ADDRESS",
        default_value = "0.0.0.0:8081"
    )]
    pub health_probe_bind_address: String,
    /// Run the controllers only while holding a Lease, so that several replicas can run
    /// with exactly one writing.
    #[arg(long, env = "ECS_OPERATOR_LEADER_ELECT", default_value_t = false)]
    pub leader_elect: bool,
    /// Namespace of the Lease (default: $POD_NAMESPACE, else `default`).
    #[arg(long, env = "ECS_OPERATOR_LEADER_ELECTION_NAMESPACE")]
    pub leader_election_namespace: Option<String>,
    /// Name of the Lease.
    #[arg(
        long,
        env = "ECS_OPERATOR_LEADER_ELECTION_ID",
        default_value = "ecs-operator"
    )]
    pub leader_election_id: String,
    /// Seconds a standby waits after the last renewal it saw before taking the Lease.
    #[arg(
        long,
        env = "ECS_OPERATOR_LEADER_ELECTION_LEASE_DURATION_SECONDS",
        default_value_t = 15
    )]
    pub leader_election_lease_duration_seconds: u64,
    /// Seconds the leader keeps writing without a successful renewal; then it stops (exits).
    /// Must be shorter than the lease duration: the gap is the margin that keeps a stale
    /// leader's last writes ahead of a new leader's first.
    #[arg(
        long,
        env = "ECS_OPERATOR_LEADER_ELECTION_RENEW_DEADLINE_SECONDS",
        default_value_t = 10
    )]
    pub leader_election_renew_deadline_seconds: u64,
    /// Seconds between renewals by the leader and between acquisition attempts by a standby.
    #[arg(
        long,
        env = "ECS_OPERATOR_LEADER_ELECTION_RETRY_PERIOD_SECONDS",
        default_value_t = 5
    )]
    pub leader_election_retry_period_seconds: u64,
}

/// The library/test default: no HTTP endpoints (an embedded operator must not grab ports
/// 8080/8081 of the machine), no leader election. The CLI defaults are the clap ones above.
impl Default for OperationsConfig {
    fn default() -> Self {
        Self {
            metrics_bind_address: String::new(),
            health_probe_bind_address: String::new(),
            leader_elect: false,
            leader_election_namespace: None,
            leader_election_id: "ecs-operator".into(),
            leader_election_lease_duration_seconds: 15,
            leader_election_renew_deadline_seconds: 10,
            leader_election_retry_period_seconds: 5,
        }
    }
}

/// Timing of the leader election, validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseTiming {
    pub lease_duration: Duration,
    pub renew_deadline: Duration,
    pub retry_period: Duration,
}

impl OperationsConfig {
    pub fn metrics_addr(&self) -> anyhow::Result<Option<SocketAddr>> {
        parse_bind("--metrics-bind-address", &self.metrics_bind_address)
    }

    pub fn health_addr(&self) -> anyhow::Result<Option<SocketAddr>> {
        parse_bind(
            "--health-probe-bind-address",
            &self.health_probe_bind_address,
        )
    }

    pub fn lease_namespace(&self) -> String {
        self.leader_election_namespace
            .clone()
            .filter(|ns| !ns.is_empty())
            .or_else(|| {
                std::env::var("POD_NAMESPACE")
                    .ok()
                    .filter(|ns| !ns.is_empty())
            })
            .unwrap_or_else(|| "default".into())
    }

    /// lease duration > renew deadline > retry period > 0, as client-go requires: the
    /// leader must give up before a standby may take over, and must get more than one
    /// renewal attempt before giving up.
    pub fn lease_timing(&self) -> anyhow::Result<LeaseTiming> {
        let t = LeaseTiming {
            lease_duration: Duration::from_secs(self.leader_election_lease_duration_seconds),
            renew_deadline: Duration::from_secs(self.leader_election_renew_deadline_seconds),
            retry_period: Duration::from_secs(self.leader_election_retry_period_seconds),
        };
        anyhow::ensure!(
            t.retry_period > Duration::ZERO
                && t.renew_deadline > t.retry_period
                && t.lease_duration > t.renew_deadline,
            "leader election needs lease duration ({}s) > renew deadline ({}s) > retry period ({}s) > 0",
            t.lease_duration.as_secs(),
            t.renew_deadline.as_secs(),
            t.retry_period.as_secs()
        );
        Ok(t)
    }
}

/// The holder identity of this process: `$POD_NAME` (else the host name) plus a random
/// suffix, so that two processes never share an identity — not even a restarted container
/// of the same Pod, which must not inherit its predecessor's term.
pub fn identity() -> String {
    let base = std::env::var("POD_NAME")
        .ok()
        .filter(|n| !n.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
        })
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "ecs-operator".into());
    let mut bytes = [0u8; 4];
    let _ = getrandom::fill(&mut bytes);
    format!("{base}_{:08x}", u32::from_le_bytes(bytes))
}

fn parse_bind(flag: &str, value: &str) -> anyhow::Result<Option<SocketAddr>> {
    let value = value.trim();
    if value.is_empty() || value == "0" {
        return Ok(None);
    }
    // `:8080` (controller-runtime style) means every interface.
    let full = if value.starts_with(':') {
        format!("0.0.0.0{value}")
    } else {
        value.to_string()
    };
    full.parse()
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{flag} {value:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_or_zero_disables_an_endpoint() {
        assert_eq!(parse_bind("f", "").unwrap(), None);
        assert_eq!(parse_bind("f", "0").unwrap(), None);
        assert_eq!(
            parse_bind("f", ":8080").unwrap(),
            Some("0.0.0.0:8080".parse().unwrap())
        );
        assert_eq!(
            parse_bind("f", "127.0.0.1:9").unwrap(),
            Some("127.0.0.1:9".parse().unwrap())
        );
        assert!(parse_bind("f", "nonsense").is_err());
    }

    #[test]
    fn lease_timing_must_leave_a_margin() {
        let mut c = OperationsConfig::default();
        assert!(c.lease_timing().is_ok());
        c.leader_election_renew_deadline_seconds = 15;
        assert!(c.lease_timing().is_err(), "deadline == duration: no margin");
        c.leader_election_renew_deadline_seconds = 5;
        assert!(c.lease_timing().is_err(), "deadline == retry period");
    }

    #[test]
    fn identities_are_unique_per_process_start() {
        assert_ne!(identity(), identity());
    }
}
