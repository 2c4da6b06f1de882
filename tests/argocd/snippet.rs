//! docs/argocd/argocd-cm.yaml (the argocd-cm keys users copy) embeds exactly the scripts
//! that are tested here.

use crate::{KINDS, health_script};

#[test]
fn the_argocd_cm_snippet_embeds_every_script_verbatim() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/argocd/argocd-cm.yaml");
    let text = std::fs::read_to_string(&path).expect("docs/argocd/argocd-cm.yaml");
    let cm: serde_json::Value = serde_saphyr::from_str(&text).expect("YAML");
    assert_eq!(cm["kind"], "ConfigMap");
    assert_eq!(cm["metadata"]["name"], "argocd-cm");
    for kind in KINDS {
        let key = format!("resource.customizations.health.ecs.operator.dev_{kind}");
        assert_eq!(
            cm["data"][&key].as_str(),
            Some(health_script(kind).as_str()),
            "{key} differs from docs/argocd/ecs.operator.dev/{kind}/health.lua; regenerate with hack/argocd-cm.sh"
        );
    }
}
