//! `healthCheck` → exec probes (ecs-semantics.md §4.5).
//!
//! ECS health checks never restart a container; they only set its health status, and the task's
//! health is the aggregate over essential containers. So the check becomes a **readinessProbe**
//! (never a livenessProbe, which would restart): `periodSeconds` = interval, `timeoutSeconds` =
//! timeout, `failureThreshold` = retries, no initial delay. `startPeriod` is not an initial
//! delay: ECS counts a success inside the start period at once and only ignores failures, which
//! is what a readiness probe without delay does (readiness failures have no effect but "not
//! ready"); the operator treats a container that has not been ready yet as UNKNOWN until
//! [`HealthCheckTiming::unknown_window_seconds`] has passed.
//!
//! A container others wait on with `HEALTHY` (a native sidecar) also gets a **startupProbe**
//! from the same check, so Kubernetes holds back the later containers until it passes; its
//! failure threshold covers the start period plus `retries` failures.

use k8s_openapi::api::core::v1::{ExecAction, Probe};

use crate::api::shapes::HealthCheck;

/// ECS defaults (§4.5).
pub const DEFAULT_INTERVAL: i32 = 30;
pub const DEFAULT_TIMEOUT: i32 = 5;
pub const DEFAULT_RETRIES: i32 = 3;
pub const DEFAULT_START_PERIOD: i32 = 0;

/// The effective timing of a container health check, ECS defaults applied (and clamped to the
/// ECS ranges so a Pod never gets a probe the API server refuses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthCheckTiming {
    pub interval: i32,
    pub timeout: i32,
    pub retries: i32,
    pub start_period: i32,
}

impl HealthCheckTiming {
    pub fn of(hc: &HealthCheck) -> Self {
        Self {
            interval: hc.interval.unwrap_or(DEFAULT_INTERVAL).clamp(5, 300),
            timeout: hc.timeout.unwrap_or(DEFAULT_TIMEOUT).clamp(2, 60),
            retries: hc.retries.unwrap_or(DEFAULT_RETRIES).clamp(1, 10),
            start_period: hc
                .start_period
                .unwrap_or(DEFAULT_START_PERIOD)
                .clamp(0, 300),
        }
    }

    /// Seconds after a container starts during which "not ready (yet)" means UNKNOWN rather
    /// than UNHEALTHY: the start period, then `retries` failed checks.
    pub fn unknown_window_seconds(&self) -> i64 {
        i64::from(self.start_period)
            + i64::from(self.retries) * i64::from(self.interval)
            + i64::from(self.timeout)
    }
}

/// The probe command: `CMD` → the argv as given; `CMD-SHELL` → the shell with the command
/// (`/bin/sh -c`, or `cmd /S /C` for Windows tasks). `None` for any other form (refused by
/// validation).
pub(crate) fn exec_command(hc: &HealthCheck, windows: bool) -> Option<Vec<String>> {
    let (kind, rest) = hc.command.split_first()?;
    match kind.as_str() {
        "CMD" if !rest.is_empty() => Some(rest.to_vec()),
        "CMD-SHELL" if !rest.is_empty() => {
            let script = rest.join(" ");
            let mut argv: Vec<String> = if windows {
                vec!["cmd".into(), "/S".into(), "/C".into()]
            } else {
                vec!["/bin/sh".into(), "-c".into()]
            };
            argv.push(script);
            Some(argv)
        }
        _ => None,
    }
}

fn probe(hc: &HealthCheck, windows: bool, failure_threshold: i32) -> Option<Probe> {
    let timing = HealthCheckTiming::of(hc);
    Some(Probe {
        exec: Some(ExecAction {
            command: Some(exec_command(hc, windows)?),
        }),
        initial_delay_seconds: Some(0),
        period_seconds: Some(timing.interval),
        timeout_seconds: Some(timing.timeout),
        failure_threshold: Some(failure_threshold),
        success_threshold: Some(1),
        ..Default::default()
    })
}

/// The readiness probe that carries the ECS health check.
pub(crate) fn readiness_probe(hc: &HealthCheck, windows: bool) -> Option<Probe> {
    probe(hc, windows, HealthCheckTiming::of(hc).retries)
}

/// The startup probe of a HEALTHY dependency target: passes on the first success; fails (and
/// the sidecar is restarted, which the operator reports as the container stopping) after the
/// start period plus `retries` failed checks.
pub(crate) fn startup_probe(hc: &HealthCheck, windows: bool) -> Option<Probe> {
    let timing = HealthCheckTiming::of(hc);
    let grace_checks = (timing.start_period + timing.interval - 1) / timing.interval;
    probe(hc, windows, timing.retries + grace_checks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hc(command: &[&str]) -> HealthCheck {
        HealthCheck {
            command: command.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn command_forms() {
        assert_eq!(
            exec_command(&hc(&["CMD", "curl", "-f", "localhost"]), false).unwrap(),
            ["curl", "-f", "localhost"]
        );
        assert_eq!(
            exec_command(&hc(&["CMD-SHELL", "curl -f localhost || exit 1"]), false).unwrap(),
            ["/bin/sh", "-c", "curl -f localhost || exit 1"]
        );
        assert_eq!(
            exec_command(&hc(&["CMD-SHELL", "a", "b"]), true).unwrap(),
            ["cmd", "/S", "/C", "a b"]
        );
        assert_eq!(exec_command(&hc(&["NONE"]), false), None);
        assert_eq!(exec_command(&hc(&["CMD"]), false), None);
        assert_eq!(exec_command(&hc(&[]), false), None);
    }

    #[test]
    fn readiness_probe_uses_ecs_defaults() {
        let p = readiness_probe(&hc(&["CMD", "true"]), false).unwrap();
        assert_eq!(p.period_seconds, Some(30));
        assert_eq!(p.timeout_seconds, Some(5));
        assert_eq!(p.failure_threshold, Some(3));
        assert_eq!(p.initial_delay_seconds, Some(0));
        assert_eq!(p.success_threshold, Some(1));
    }

    #[test]
    fn explicit_timing_and_startup_threshold() {
        let mut check = hc(&["CMD", "true"]);
        check.interval = Some(10);
        check.timeout = Some(2);
        check.retries = Some(5);
        check.start_period = Some(25);
        let r = readiness_probe(&check, false).unwrap();
        assert_eq!(
            (r.period_seconds, r.timeout_seconds, r.failure_threshold),
            (Some(10), Some(2), Some(5))
        );
        let s = startup_probe(&check, false).unwrap();
        // 25 s start period = 3 checks at 10 s, plus 5 retries.
        assert_eq!(s.failure_threshold, Some(8));
        assert_eq!(
            HealthCheckTiming::of(&check).unknown_window_seconds(),
            25 + 50 + 2
        );
    }

    #[test]
    fn out_of_range_values_are_clamped() {
        let mut check = hc(&["CMD", "true"]);
        check.interval = Some(0);
        check.timeout = Some(-1);
        check.retries = Some(100);
        let t = HealthCheckTiming::of(&check);
        assert_eq!((t.interval, t.timeout, t.retries), (5, 2, 10));
    }
}
