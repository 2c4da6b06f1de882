//! Faults of the control plane itself: stopping and starting etcd or kube-apiserver through
//! `hack/control-plane.sh stop|start` (the plane `hack/with-test-plane.sh` started, whose
//! state directory and ports are in the environment). A `Stopped` guard starts its component
//! again when dropped — also when the test panics — so the next test binary always finds a
//! healthy plane.

use std::process::Command;
use std::time::Duration;

fn script(verb: &str, component: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/hack/control-plane.sh");
    let out = Command::new(path)
        .args([verb, component])
        .output()
        .unwrap_or_else(|e| panic!("run control-plane.sh {verb} {component}: {e}"));
    assert!(
        out.status.success(),
        "control-plane.sh {verb} {component} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A stopped component; started again on `start` or drop.
pub struct Stopped {
    component: &'static str,
    running: bool,
}

impl Stopped {
    pub fn stop(component: &'static str) -> Self {
        script("stop", component);
        Self {
            component,
            running: false,
        }
    }

    /// Starts the component and waits until it answers its health check (the script does).
    pub fn start(mut self) {
        script("start", self.component);
        self.running = true;
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        if !self.running {
            script("start", self.component);
        }
    }
}

/// Waits until the apiserver answers a list again (after a restart clients reconnect).
pub async fn wait_api(client: &kube::Client) {
    let api: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client.clone());
    let ok = super::support::poll_until(Duration::from_secs(60), || async {
        api.list(&kube::api::ListParams::default().limit(1))
            .await
            .is_ok()
    })
    .await;
    assert!(ok, "the apiserver answers again within 60 s");
}
