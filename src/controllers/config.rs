//! Operator configuration (`ecs-operator run` flags, also settable by environment).

use crate::arn::ArnContext;

/// Settings every controller reads.
#[derive(Clone, Debug, clap::Args)]
pub struct OperatorConfig {
    /// Region stamped into synthetic ARNs.
    #[arg(long, env = "ECS_OPERATOR_REGION", default_value = "local")]
    pub region: String,
    /// Account id stamped into synthetic ARNs.
    #[arg(long, env = "ECS_OPERATOR_ACCOUNT_ID", default_value = "000000000000")]
    pub account_id: String,
    /// Allow `privileged: true` containers (refused with a condition otherwise).
    #[arg(long, env = "ECS_OPERATOR_ALLOW_PRIVILEGED", default_value_t = false)]
    pub allow_privileged: bool,
    /// Allow task definitions with networkMode, pidMode or ipcMode `host` (refused with a
    /// condition otherwise).
    #[arg(
        long,
        env = "ECS_OPERATOR_ALLOW_HOST_NAMESPACES",
        default_value_t = false
    )]
    pub allow_host_namespaces: bool,
    /// Allow host-path volumes (`volumes[].host.sourcePath`; refused with a condition
    /// otherwise).
    #[arg(long, env = "ECS_OPERATOR_ALLOW_HOST_PATH", default_value_t = false)]
    pub allow_host_path: bool,
    /// Seconds a container instance (node) may be NotReady before its service tasks count as
    /// lost and are replaced elsewhere.
    #[arg(
        long,
        env = "ECS_OPERATOR_NODE_LOST_AFTER_SECONDS",
        default_value_t = 60
    )]
    pub node_lost_after_seconds: i64,
    /// Seconds a RUNNING service task without an essential-container health check must run
    /// before it counts as healthy for minimumHealthyPercent (ECS: 40 s, §3.3).
    #[arg(long, env = "ECS_OPERATOR_HEALTHY_AFTER_SECONDS", default_value_t = 40)]
    pub healthy_after_seconds: i64,
    /// The most Pod creates one service keeps in flight during a scale-up: its window, opened
    /// at once for a service's first round; after a refused create a round starts at one and
    /// grows by one per create that succeeds.
    #[arg(
        long,
        env = "ECS_OPERATOR_MAX_CREATES_IN_FLIGHT",
        default_value_t = 128,
        value_parser = clap::value_parser!(u16).range(1..)
    )]
    pub max_creates_in_flight: u16,
    /// Name reported on Events and used as field manager.
    #[arg(long, env = "ECS_OPERATOR_MANAGER", default_value = "ecs-operator")]
    pub manager: String,
    /// Metrics, probes, leader election.
    #[command(flatten)]
    pub operations: crate::operations::OperationsConfig,
}

impl Default for OperatorConfig {
    fn default() -> Self {
        Self {
            region: "local".into(),
            account_id: "000000000000".into(),
            allow_privileged: false,
            allow_host_namespaces: false,
            allow_host_path: false,
            node_lost_after_seconds: 60,
            healthy_after_seconds: 40,
            max_creates_in_flight: 128,
            manager: "ecs-operator".into(),
            operations: Default::default(),
        }
    }
}

impl OperatorConfig {
    /// The translation options this configuration implies (one place, so the TaskDefinition
    /// status, services and standalone tasks apply the same policy).
    pub fn translate_options(&self) -> crate::translate::TranslateOptions {
        crate::translate::TranslateOptions {
            allow_privileged: self.allow_privileged,
            allow_host_namespaces: self.allow_host_namespaces,
            allow_host_path: self.allow_host_path,
            ..Default::default()
        }
    }

    pub fn arns(&self) -> ArnContext {
        ArnContext {
            region: self.region.clone(),
            account: self.account_id.clone(),
        }
    }
}
