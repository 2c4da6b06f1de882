//! `ecs-operator instances --cluster <name>`: the cluster's container instances as
//! `aws ecs describe-container-instances` shows them — zone, type, status, agent, registered
//! and remaining CPU units and memory MiB, running tasks — computed exactly as placement
//! sees them (the same adapter over live Nodes and Pods).

use std::process::ExitCode;

use crate::slim_node::SlimNode;

use crate::slim_pod::SlimPod;
use kube::api::{Api, ListParams};

use crate::labels::{ATTR_AVAILABILITY_ZONE, ATTR_INSTANCE_TYPE, CLUSTER_LABEL};
use crate::placement::InstanceStatus;
use crate::placement::kube_adapter::{AdapterOptions, snapshot_from_cluster};

#[derive(clap::Args)]
pub struct InstancesArgs {
    /// The ECS cluster name (nodes labeled ecs.operator.dev/cluster=<name>).
    #[arg(long, default_value = "default")]
    pub cluster: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: InstancesArgs) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(describe(&args)) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn describe(args: &InstancesArgs) -> anyhow::Result<String> {
    let client = kube::Client::try_default().await?;
    let selector = format!("{CLUSTER_LABEL}={}", args.cluster);
    let nodes = Api::<SlimNode>::all(client.clone())
        .list(&ListParams::default().labels(&selector))
        .await?
        .items;
    let pods = Api::<SlimPod>::all(client)
        .list(&ListParams::default())
        .await?
        .items;
    let snapshot = snapshot_from_cluster(
        &args.cluster,
        nodes.iter(),
        pods.iter(),
        &AdapterOptions::default(),
    );
    let mut rows = Vec::new();
    for i in snapshot.instances() {
        let status = match i.status {
            InstanceStatus::Active => "ACTIVE",
            InstanceStatus::Draining => "DRAINING",
        };
        rows.push(serde_json::json!({
            "containerInstance": i.id,
            "availabilityZone": i.attribute(ATTR_AVAILABILITY_ZONE).unwrap_or("-"),
            "instanceType": i.attribute(ATTR_INSTANCE_TYPE).unwrap_or("-"),
            "status": status,
            "agentConnected": i.agent_connected,
            "registeredCpu": i.registered.cpu,
            "remainingCpu": i.remaining.cpu,
            "registeredMemory": i.registered.memory,
            "remainingMemory": i.remaining.memory,
            "runningTasksCount": snapshot.running_tasks_count(&i.id).unwrap_or(0),
        }));
    }
    if args.json {
        return Ok(
            serde_json::to_string_pretty(&serde_json::json!({"containerInstances": rows}))? + "\n",
        );
    }
    let mut out = format!(
        "{:<28} {:<12} {:<12} {:<9} {:<6} {:>13} {:>16} {:>8}\n",
        "CONTAINER INSTANCE",
        "ZONE",
        "TYPE",
        "STATUS",
        "AGENT",
        "CPU (rem/reg)",
        "MEMORY (rem/reg)",
        "RUNNING"
    );
    for r in &rows {
        out.push_str(&format!(
            "{:<28} {:<12} {:<12} {:<9} {:<6} {:>13} {:>16} {:>8}\n",
            r["containerInstance"].as_str().unwrap_or("-"),
            r["availabilityZone"].as_str().unwrap_or("-"),
            r["instanceType"].as_str().unwrap_or("-"),
            r["status"].as_str().unwrap_or("-"),
            if r["agentConnected"] == true {
                "yes"
            } else {
                "no"
            },
            format!("{}/{}", r["remainingCpu"], r["registeredCpu"]),
            format!("{}/{}", r["remainingMemory"], r["registeredMemory"]),
            r["runningTasksCount"],
        ));
    }
    Ok(out)
}
