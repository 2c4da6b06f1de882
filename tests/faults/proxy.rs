//! A TCP proxy between the operator and kube-apiserver, so a test can cut the operator's
//! connection (every open connection closed, new ones refused) and restore it, while the
//! test's own client and the rest of the plane keep talking to the apiserver directly.
//! TLS passes through untouched: the serving certificate is for 127.0.0.1, any port.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub port: u16,
    open: Arc<watch::Sender<bool>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let (open, _) = watch::channel(true);
        let open = Arc::new(open);
        let state = open.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !*state.borrow() {
                    // Unreachable: the connection is dropped at once.
                    continue;
                }
                let mut cut = state.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.wait_for(|open| !*open) => {}
                    }
                });
            }
        });
        Self { port, open, task }
    }

    /// Closes every connection and refuses new ones until `restore`.
    pub fn cut(&self) {
        self.open.send_replace(false);
    }

    pub fn restore(&self) {
        self.open.send_replace(true);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The test kubeconfig with its server pointed at `port` on 127.0.0.1; written next to the
/// original and returned as a path.
pub fn kubeconfig_via(port: u16, tag: &str) -> String {
    let original = super::support::kubeconfig_path();
    let mut config = kube::config::Kubeconfig::read_from(&original).expect("read kubeconfig");
    for cluster in &mut config.clusters {
        if let Some(c) = cluster.cluster.as_mut() {
            c.server = Some(format!("https://127.0.0.1:{port}"));
        }
    }
    let path = format!("{original}.{tag}");
    // JSON is YAML: kubeconfig readers accept it.
    std::fs::write(&path, serde_json::to_vec(&config).expect("kubeconfig json")).expect("write");
    path
}

/// The apiserver's address from the test kubeconfig.
pub fn apiserver_addr() -> SocketAddr {
    let config = kube::config::Kubeconfig::read_from(super::support::kubeconfig_path())
        .expect("read kubeconfig");
    let server = config.clusters[0]
        .cluster
        .as_ref()
        .and_then(|c| c.server.clone())
        .expect("server");
    let hostport = server.trim_start_matches("https://").trim_end_matches('/');
    hostport.parse().expect("server host:port")
}
