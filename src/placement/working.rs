//! The state of one placement call: the snapshot plus what this batch has placed so far, and
//! the ECS filter pipeline (ecs-semantics.md §2.1): status/agent → attributes → cpu → memory →
//! ports → constraints. Because every task of a request is identical, an instance's
//! eligibility depends on that instance alone, so after each decision only the chosen
//! instance is re-checked.

use std::collections::HashMap;

use super::constraint::Constraint;
use super::failure::{FailureReason, Shortfall};
use super::model::{HostPort, InstanceStatus, Protocol, Resources};
use super::ports::{EPHEMERAL_PORT_FIRST, PortSet};
use super::query::Expression;
use super::request::{Placement, PlacementRequest};
use super::snapshot::{Facts, InstanceRecord, Snapshot};

pub(crate) struct Working<'a> {
    pub(crate) snapshot: &'a Snapshot,
    pub(crate) request: &'a PlacementRequest,
    pub(crate) remaining: Vec<Resources>,
    pub(crate) group_count: Vec<u32>,
    pub(crate) running: Vec<u32>,
    /// Port sets of instances this batch placed tasks on (copy-on-write).
    ports: HashMap<usize, PortSet>,
    fixed_ports: Vec<HostPort>,
    /// Dynamic ports per task plus fixed ports inside the ephemeral range, per protocol
    /// (tcp, udp): what must still be free in that range.
    ephemeral_needed: [usize; 2],
    /// Status, agent, `requiresAttributes` and task-independent `memberOf`, evaluated once.
    static_ok: Vec<bool>,
    /// `memberOf` expressions that read `task:group` / `runningTasksCount`.
    dynamic_member_of: Vec<&'a Expression>,
    distinct_instance: bool,
}

fn protocol_slot(protocol: Protocol) -> usize {
    match protocol {
        Protocol::Tcp => 0,
        Protocol::Udp => 1,
    }
}

impl<'a> Working<'a> {
    pub(crate) fn new(snapshot: &'a Snapshot, request: &'a PlacementRequest) -> Self {
        let n = snapshot.instances.len();
        let remaining = snapshot
            .instances
            .iter()
            .map(|r| r.info.remaining)
            .collect();
        let running = snapshot.instances.iter().map(|r| r.running).collect();
        let mut group_count = vec![0u32; n];
        if let Some(positions) = snapshot.by_group.get(request.group.as_str()) {
            for &p in positions {
                if let Some(i) = snapshot.tasks[p].as_ref().and_then(|t| t.instance) {
                    group_count[i as usize] += 1;
                }
            }
        }
        let mut fixed_ports = Vec::new();
        let mut ephemeral_needed = [0usize; 2];
        for p in &request.ports {
            if p.is_dynamic() {
                ephemeral_needed[protocol_slot(p.protocol)] += 1;
            } else {
                fixed_ports.push(HostPort {
                    port: p.port,
                    protocol: p.protocol,
                });
                if p.port >= EPHEMERAL_PORT_FIRST {
                    ephemeral_needed[protocol_slot(p.protocol)] += 1;
                }
            }
        }
        let mut static_member_of = Vec::new();
        let mut dynamic_member_of = Vec::new();
        let mut distinct_instance = false;
        for c in &request.constraints {
            match c {
                Constraint::DistinctInstance => distinct_instance = true,
                Constraint::MemberOf(e) if e.depends_on_tasks() => dynamic_member_of.push(e),
                Constraint::MemberOf(e) => static_member_of.push(e),
            }
        }
        let static_ok = snapshot
            .instances
            .iter()
            .enumerate()
            .map(|(i, record)| {
                record.info.accepts_new_tasks()
                    && missing_attribute(record, request).is_none()
                    && static_member_of
                        .iter()
                        .all(|e| e.matches(&snapshot.facts(i)))
            })
            .collect();
        Working {
            snapshot,
            request,
            remaining,
            group_count,
            running,
            ports: HashMap::new(),
            fixed_ports,
            ephemeral_needed,
            static_ok,
            dynamic_member_of,
            distinct_instance,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.remaining.len()
    }

    fn ports_of(&self, i: usize) -> &PortSet {
        self.ports
            .get(&i)
            .unwrap_or(&self.snapshot.instances[i].info.ports_in_use)
    }

    fn facts(&self, i: usize) -> Facts<'_> {
        Facts {
            record: &self.snapshot.instances[i],
            running: u64::from(self.running[i]),
            override_group: Some((self.request.group.as_str(), self.group_count[i])),
        }
    }

    /// The hot-path check: can one more task go on instance `i`?
    pub(crate) fn eligible(&self, i: usize) -> bool {
        self.static_ok[i]
            && self.remaining[i].fits(&self.request.reservation)
            && self.ports_free(i).is_ok()
            && !(self.distinct_instance && self.group_count[i] > 0)
            && self
                .dynamic_member_of
                .iter()
                .all(|e| e.matches(&self.facts(i)))
    }

    fn ports_free(&self, i: usize) -> Result<(), String> {
        if self.request.ports.is_empty() {
            return Ok(());
        }
        let ports = self.ports_of(i);
        if let Some(taken) = self.fixed_ports.iter().find(|p| ports.contains(**p)) {
            return Err(format!(
                "host port {}/{} is in use",
                taken.port,
                protocol_name(taken.protocol)
            ));
        }
        for protocol in [Protocol::Tcp, Protocol::Udp] {
            let needed = self.ephemeral_needed[protocol_slot(protocol)];
            if needed > 0 && ports.free_ephemeral(protocol) < needed {
                return Err(format!(
                    "needs {needed} free {} ports in the ephemeral range, {} free",
                    protocol_name(protocol),
                    ports.free_ephemeral(protocol)
                ));
            }
        }
        Ok(())
    }

    /// Every check instance `i` fails, in pipeline order. Empty = eligible.
    pub(crate) fn diagnose(&self, i: usize) -> Vec<Shortfall> {
        let record = &self.snapshot.instances[i];
        let info = &record.info;
        let mut out = Vec::new();
        let mut fail = |reason, detail: String| out.push(Shortfall { reason, detail });
        if info.status != InstanceStatus::Active {
            // Not a candidate at all; callers skip DRAINING instances before asking.
            fail(
                FailureReason::Agent,
                format!("instance is {}", info.status.as_ecs()),
            );
        } else if !info.agent_connected {
            fail(FailureReason::Agent, "agent is disconnected".into());
        }
        if let Some(detail) = missing_attribute(record, self.request) {
            fail(FailureReason::Attribute, detail);
        }
        let need = self.request.reservation;
        let have = self.remaining[i];
        if have.cpu < need.cpu {
            fail(
                FailureReason::ResourceCpu,
                format!("needs {} CPU units, {} remaining", need.cpu, have.cpu),
            );
        }
        if have.memory < need.memory {
            fail(
                FailureReason::ResourceMemory,
                format!(
                    "needs {} MiB of memory, {} MiB remaining",
                    need.memory, have.memory
                ),
            );
        }
        if let Err(detail) = self.ports_free(i) {
            fail(FailureReason::ResourcePorts, detail);
        }
        let facts = self.facts(i);
        for c in &self.request.constraints {
            match c {
                Constraint::MemberOf(e) if !e.matches(&facts) => fail(
                    FailureReason::MemberOf,
                    format!("does not satisfy memberOf({e})"),
                ),
                Constraint::DistinctInstance if self.group_count[i] > 0 => fail(
                    FailureReason::DistinctInstance,
                    format!("already runs a task of group {}", self.request.group),
                ),
                _ => {}
            }
        }
        out
    }

    /// Takes one task on instance `i`: reserves resources, allocates ports. `None` only if the
    /// ports ran out, which `eligible` rules out.
    pub(crate) fn place_on(&mut self, i: usize) -> Option<Placement> {
        let mut host_ports = Vec::with_capacity(self.request.ports.len());
        if !self.request.ports.is_empty() {
            let mut ports = self.ports_of(i).clone();
            for p in &self.fixed_ports {
                ports.insert(*p);
            }
            for p in &self.request.ports {
                let port = if p.is_dynamic() {
                    let port = ports.lowest_free_ephemeral(p.protocol)?;
                    let port = HostPort {
                        port,
                        protocol: p.protocol,
                    };
                    ports.insert(port);
                    port
                } else {
                    HostPort {
                        port: p.port,
                        protocol: p.protocol,
                    }
                };
                host_ports.push(port);
            }
            self.ports.insert(i, ports);
        }
        self.remaining[i] = self.remaining[i].saturating_sub(&self.request.reservation);
        self.group_count[i] += 1;
        self.running[i] += 1;
        Some(Placement {
            instance: self.snapshot.instances[i].id.clone(),
            host_ports,
        })
    }
}

fn protocol_name(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
    }
}

/// The first `requiresAttributes` entry the instance lacks, described.
pub(crate) fn missing_attribute(
    record: &InstanceRecord,
    request: &PlacementRequest,
) -> Option<String> {
    request.required_attributes.iter().find_map(|required| {
        match (record.info.attribute(&required.name), &required.value) {
            (None, _) => Some(format!("missing attribute {}", required.name)),
            (Some(have), Some(want)) if have != want => Some(format!(
                "attribute {} is '{have}', not '{want}'",
                required.name
            )),
            _ => None,
        }
    })
}
