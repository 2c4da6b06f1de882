//! Synthetic ECS ARNs (`arn:aws:ecs:<region>:<account>:task-definition/web:3`), so ECS
//! tooling that parses ARNs keeps working. Region and account come from the operator's
//! configuration (defaults `local` / `000000000000`).

/// Region and account stamped into every ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArnContext {
    pub region: String,
    pub account: String,
}

impl Default for ArnContext {
    fn default() -> Self {
        Self {
            region: "local".into(),
            account: "000000000000".into(),
        }
    }
}

impl ArnContext {
    fn arn(&self, resource: &str) -> String {
        format!("arn:aws:ecs:{}:{}:{resource}", self.region, self.account)
    }
    pub fn task_definition(&self, family: &str, revision: i64) -> String {
        self.arn(&format!("task-definition/{family}:{revision}"))
    }
    pub fn cluster(&self, cluster: &str) -> String {
        self.arn(&format!("cluster/{cluster}"))
    }
    pub fn service(&self, cluster: &str, service: &str) -> String {
        self.arn(&format!("service/{cluster}/{service}"))
    }
    pub fn task(&self, cluster: &str, task_id: &str) -> String {
        self.arn(&format!("task/{cluster}/{task_id}"))
    }
    pub fn container_instance(&self, cluster: &str, instance: &str) -> String {
        self.arn(&format!("container-instance/{cluster}/{instance}"))
    }
}

/// A reference to a task definition as ECS accepts it: `family`, `family:revision`, or the
/// full ARN (whose region/account are not checked: they are synthetic).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDefinitionRef {
    pub family: String,
    /// None means "the latest ACTIVE revision".
    pub revision: Option<i64>,
}

impl std::fmt::Display for TaskDefinitionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.revision {
            Some(r) => write!(f, "{}:{r}", self.family),
            None => f.write_str(&self.family),
        }
    }
}

/// Parses `family`, `family:N` or `arn:...:task-definition/family:N`.
pub fn parse_task_definition_ref(s: &str) -> Result<TaskDefinitionRef, String> {
    let s = s.trim();
    let body = match s.strip_prefix("arn:") {
        Some(rest) => rest
            .split_once(":task-definition/")
            .map(|(_, tail)| tail)
            .ok_or_else(|| format!("{s:?} is not a task-definition ARN"))?,
        None => s,
    };
    let (family, revision) = match body.rsplit_once(':') {
        Some((family, rev)) => {
            let n: i64 = rev
                .parse()
                .map_err(|_| format!("{s:?}: revision {rev:?} is not a number"))?;
            if n < 1 {
                return Err(format!("{s:?}: revision must be 1 or more"));
            }
            (family, Some(n))
        }
        None => (body, None),
    };
    let valid = !family.is_empty()
        && family.len() <= 255
        && family
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(format!(
            "{s:?}: a task definition family is 1-255 letters, numbers, hyphens and underscores"
        ));
    }
    Ok(TaskDefinitionRef {
        family: family.to_string(),
        revision,
    })
}

/// The cluster name from `name` or `arn:...:cluster/name`.
pub fn cluster_name(s: &str) -> &str {
    s.rsplit_once(":cluster/").map(|(_, n)| n).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_definition_references_parse_in_all_three_forms() {
        let arn = ArnContext::default().task_definition("web", 3);
        assert_eq!(arn, "arn:aws:ecs:local:000000000000:task-definition/web:3");
        for (input, family, revision) in [
            ("web", "web", None),
            ("web:3", "web", Some(3)),
            (arn.as_str(), "web", Some(3)),
            ("My_App-2:10", "My_App-2", Some(10)),
        ] {
            let r = parse_task_definition_ref(input).unwrap();
            assert_eq!(
                (r.family.as_str(), r.revision),
                (family, revision),
                "{input}"
            );
        }
        for bad in [
            "",
            "web:x",
            "web:0",
            "we b",
            "arn:aws:ecs:r:a:service/x",
            "web:1:2",
        ] {
            assert!(parse_task_definition_ref(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cluster_names_come_from_names_or_arns() {
        assert_eq!(cluster_name("prod"), "prod");
        assert_eq!(cluster_name(&ArnContext::default().cluster("prod")), "prod");
    }
}
