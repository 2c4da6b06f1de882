//! ECS names and ARNs → Kubernetes names and ECS short references.

use super::error::ImportError;

/// The longest DNS-1123 subdomain, the limit of `metadata.name` for custom resources.
const MAX_NAME: usize = 253;

/// Turns an ECS name (`My_Service`) into a valid `metadata.name` (`my-service`): lowercase,
/// every character other than a-z and 0-9 becomes `-`, at most 253 characters, starting
/// and ending with a letter or digit. `None` when nothing alphanumeric is left.
pub fn kubernetes_name(ecs_name: &str) -> Option<String> {
    crate::translate::names::sanitize(ecs_name, MAX_NAME)
}

/// metadata.name for an object whose ECS name is `ecs_name` (the `field` of `subject`), and
/// a note when the two differ.
pub fn metadata_name(
    ecs_name: Option<&str>,
    subject: &str,
    field: &'static str,
) -> Result<(String, Option<String>), ImportError> {
    let ecs_name = ecs_name.ok_or_else(|| ImportError::MissingName {
        subject: subject.to_owned(),
        field,
    })?;
    let name = kubernetes_name(ecs_name).ok_or_else(|| ImportError::UnusableName {
        field,
        ecs_name: ecs_name.to_owned(),
    })?;
    let note = (name != ecs_name).then(|| {
        format!(
            "metadata.name `{name}` derived from {field} `{ecs_name}`, which spec.{field} keeps"
        )
    });
    Ok((name, note))
}

/// The resource part of an ARN (`task-definition/web:3` of
/// `arn:aws:ecs:us-east-1:123456789012:task-definition/web:3`), or `None` if `s` is no ARN.
fn arn_resource(s: &str) -> Option<&str> {
    let mut parts = s.splitn(6, ':');
    (parts.next()? == "arn").then_some(())?;
    let _partition = parts.next()?;
    let _service = parts.next()?;
    let _region = parts.next()?;
    let _account = parts.next()?;
    parts.next()
}

/// `web:3` from a task definition ARN; `None` if `s` is not one.
pub fn task_definition_from_arn(s: &str) -> Option<&str> {
    arn_resource(s)?
        .strip_prefix("task-definition/")
        .filter(|r| !r.is_empty())
}

/// The family of a task definition reference: `web` of `web:3`, `web` of `web`.
pub fn family_of(reference: &str) -> &str {
    match reference.rsplit_once(':') {
        Some((family, revision)) if revision.chars().all(|c| c.is_ascii_digit()) => family,
        _ => reference,
    }
}

/// `prod` from `arn:aws:ecs:us-east-1:123456789012:cluster/prod`; `None` if `s` is no cluster ARN.
pub fn cluster_from_arn(s: &str) -> Option<&str> {
    arn_resource(s)?
        .strip_prefix("cluster/")
        .filter(|r| !r.is_empty())
}

/// The service name of a service ARN, in the long (`service/prod/web`) or the old short
/// (`service/web`) format.
pub fn service_from_arn(s: &str) -> Option<&str> {
    let rest = arn_resource(s)?.strip_prefix("service/")?;
    rest.rsplit('/').next().filter(|r| !r.is_empty())
}

/// The ECS service-linked role, which ECS uses when CreateService gets no `role` (and
/// which must not be passed for awsvpc services), so an import leaves it out.
pub fn is_ecs_service_linked_role(arn: &str) -> bool {
    arn.contains(":role/aws-service-role/ecs.amazonaws.com/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_names() {
        assert_eq!(kubernetes_name("My_Service").as_deref(), Some("my-service"));
        assert_eq!(kubernetes_name("_web_").as_deref(), Some("web"));
        assert_eq!(kubernetes_name("a.b c").as_deref(), Some("a-b-c"));
        assert_eq!(kubernetes_name("___"), None);
        let long = format!("{}_{}", "a".repeat(252), "b".repeat(10));
        assert_eq!(kubernetes_name(&long), Some("a".repeat(252)));
    }

    #[test]
    fn arns() {
        let td = "arn:aws:ecs:us-east-1:123456789012:task-definition/web_App:12";
        assert_eq!(task_definition_from_arn(td), Some("web_App:12"));
        assert_eq!(task_definition_from_arn("web:12"), None);
        assert_eq!(family_of("web_App:12"), "web_App");
        assert_eq!(family_of("web"), "web");
        assert_eq!(
            cluster_from_arn("arn:aws-cn:ecs:cn-north-1:1:cluster/prod"),
            Some("prod")
        );
        assert_eq!(cluster_from_arn("prod"), None);
        assert_eq!(
            service_from_arn("arn:aws:ecs:us-east-1:1:service/prod/api"),
            Some("api")
        );
        assert_eq!(
            service_from_arn("arn:aws:ecs:us-east-1:1:service/api"),
            Some("api")
        );
        assert!(is_ecs_service_linked_role(
            "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
        ));
    }
}
