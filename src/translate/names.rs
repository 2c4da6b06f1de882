//! Kubernetes names from ECS names and AWS references, and the documented naming conventions
//! (docs/task-definition-mapping.md, "Names"):
//!
//! - sanitising: lowercase; every character other than `a-z`/`0-9` becomes `-`; leading and
//!   trailing `-` are trimmed; cut to the length limit. `My_Secret` → `my-secret`.
//! - `secrets[].valueFrom` → a Secret and a key ([`secret_ref`]).
//! - `taskRoleArn` → a ServiceAccount ([`service_account_for_role`]).
//! - `repositoryCredentials.credentialsParameter` → an image-pull Secret ([`pull_secret_name`]).

use std::collections::BTreeSet;

/// Longest DNS-1123 label (container, volume names, hostnames).
pub const DNS1123_LABEL_MAX: usize = 63;
/// Longest DNS-1123 subdomain (Secret, ServiceAccount names).
pub const DNS1123_SUBDOMAIN_MAX: usize = 253;
/// Longest IANA service name (container port names).
pub const PORT_NAME_MAX: usize = 15;

/// The sanitised form of `name`, at most `max` characters; `None` when nothing alphanumeric
/// is left.
pub fn sanitize(name: &str, max: usize) -> Option<String> {
    let mapped: String = name
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    // All ASCII now, so byte-slicing cannot split a character.
    let trimmed = mapped.trim_matches('-');
    let cut = trimmed[..trimmed.len().min(max)].trim_end_matches('-');
    (!cut.is_empty()).then(|| cut.to_owned())
}

fn is_alnum_lower(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// RFC 1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= DNS1123_LABEL_MAX
        && s.chars().all(|c| is_alnum_lower(c) || c == '-')
        && s.starts_with(is_alnum_lower)
        && s.ends_with(is_alnum_lower)
}

/// RFC 1123 subdomain: dot-separated labels, at most 253 characters.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= DNS1123_SUBDOMAIN_MAX
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| is_alnum_lower(c) || c == '-')
                && label.starts_with(is_alnum_lower)
                && label.ends_with(is_alnum_lower)
        })
}

/// A Secret data key: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or `..`.
pub fn is_secret_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= DNS1123_SUBDOMAIN_MAX
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// The name part of a qualified annotation key: at most 63 characters,
/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
pub fn is_annotation_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// An IANA service name (container port names): at most 15 characters of `[a-z0-9-]`, at
/// least one letter, no leading, trailing or doubled `-`.
pub fn is_port_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= PORT_NAME_MAX
        && s.chars().all(|c| is_alnum_lower(c) || c == '-')
        && s.chars().any(|c| c.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// The port name Kubernetes accepts for an ECS port-mapping name, when there is one.
pub fn port_name(ecs_name: &str) -> Option<String> {
    let mut name = sanitize(ecs_name, usize::MAX)?;
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    let cut = name[..name.len().min(PORT_NAME_MAX)].trim_end_matches('-');
    is_port_name(cut).then(|| cut.to_owned())
}

/// Hands out unique names: the sanitised wish, or the wish with `-2`, `-3`, … appended (cut so
/// the result stays within `max`). Deterministic: the same wishes in the same order give the
/// same names.
#[derive(Clone, Debug)]
pub struct NameAllocator {
    used: BTreeSet<String>,
    max: usize,
}

impl NameAllocator {
    pub fn new(max: usize) -> Self {
        Self {
            used: BTreeSet::new(),
            max,
        }
    }

    /// A unique name for `wish`; `fallback` (already valid) stands in when `wish` sanitises
    /// to nothing.
    pub fn allocate(&mut self, wish: &str, fallback: &str) -> String {
        let base = sanitize(wish, self.max)
            .or_else(|| sanitize(fallback, self.max))
            .unwrap_or_else(|| "x".to_owned());
        if self.used.insert(base.clone()) {
            return base;
        }
        let mut n: u64 = 2;
        loop {
            let suffix = format!("-{n}");
            let room = self.max.saturating_sub(suffix.len());
            let stem = base[..base.len().min(room)].trim_end_matches('-');
            let candidate = format!("{stem}{suffix}");
            if self.used.insert(candidate.clone()) {
                return candidate;
            }
            n = n.saturating_add(1);
        }
    }
}

/// The parts of an ARN (`arn:partition:service:region:account:resource`).
struct Arn<'a> {
    service: &'a str,
    resource: &'a str,
}

fn parse_arn(s: &str) -> Option<Arn<'_>> {
    let mut parts = s.splitn(6, ':');
    (parts.next()? == "arn").then_some(())?;
    let _partition = parts.next()?;
    let service = parts.next()?;
    let _region = parts.next()?;
    let _account = parts.next()?;
    let resource = parts.next()?;
    Some(Arn { service, resource })
}

/// The last `/`-separated segment of a path-like name (`prod/db/password` → `password`).
fn last_segment(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

fn secret_name(raw: &str, what: &str) -> Result<String, String> {
    let segment = last_segment(raw);
    sanitize(segment, DNS1123_SUBDOMAIN_MAX)
        .ok_or_else(|| format!("{what} {raw:?} leaves no usable Kubernetes Secret name"))
}

/// A Kubernetes Secret key reference derived from a `valueFrom`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretRef {
    /// The Secret, in the task's namespace.
    pub name: String,
    /// The key inside the Secret.
    pub key: String,
    /// A Secrets Manager version stage or id was given; Kubernetes Secrets have no versions.
    pub version_ignored: bool,
}

/// The documented `valueFrom` mapping:
///
/// | `valueFrom` | Secret | key |
/// |---|---|---|
/// | `arn:…:secretsmanager:…:secret:NAME[:json-key[:stage[:id]]]` | last `/` segment of NAME, sanitised | json-key if given, else `value` |
/// | `arn:…:ssm:…:parameter/PATH` | last segment of PATH, sanitised | `value` |
/// | `NAME:KEY` (no ARN) | last segment of NAME, sanitised | KEY |
/// | `NAME` or `/PATH` (SSM parameter name) | last segment, sanitised | `value` |
pub fn secret_ref(value_from: &str) -> Result<SecretRef, String> {
    let value_from = value_from.trim();
    if value_from.is_empty() {
        return Err("valueFrom is empty".to_owned());
    }
    let (name, key, version_ignored) = if let Some(arn) = parse_arn(value_from) {
        match arn.service {
            "secretsmanager" => {
                let rest = arn
                    .resource
                    .strip_prefix("secret:")
                    .ok_or_else(|| format!("{value_from:?} is not a Secrets Manager secret ARN"))?;
                let mut parts = rest.split(':');
                let name = parts.next().unwrap_or_default();
                let json_key = parts.next().unwrap_or_default();
                let stage = parts.next().unwrap_or_default();
                let id = parts.next().unwrap_or_default();
                let key = if json_key.is_empty() {
                    "value"
                } else {
                    json_key
                };
                (
                    secret_name(name, "secret")?,
                    key.to_owned(),
                    !stage.is_empty() || !id.is_empty(),
                )
            }
            "ssm" => {
                let path = arn.resource.strip_prefix("parameter").ok_or_else(|| {
                    format!("{value_from:?} is not an SSM Parameter Store parameter ARN")
                })?;
                (secret_name(path, "parameter")?, "value".to_owned(), false)
            }
            other => {
                return Err(format!(
                    "{value_from:?} is a {other} ARN; valueFrom must be a Secrets Manager secret ARN, an SSM \
                     Parameter Store parameter ARN or name, or <secret-name>:<key>"
                ));
            }
        }
    } else if let Some((name, key)) = value_from.split_once(':') {
        (secret_name(name, "secret")?, key.to_owned(), false)
    } else {
        (
            secret_name(value_from, "parameter")?,
            "value".to_owned(),
            false,
        )
    };
    if !is_secret_key(&key) {
        return Err(format!(
            "key {key:?} of {value_from:?} is not a valid Kubernetes Secret key (letters, digits, '-', '_', '.')"
        ));
    }
    Ok(SecretRef {
        name,
        key,
        version_ignored,
    })
}

/// The documented task-role mapping: `serviceaccount:<name>` → that ServiceAccount (verbatim,
/// must be a valid name); an IAM role ARN `arn:aws:iam::<acct>:role/<path>/<name>` or a bare
/// role name → ServiceAccount `<name>`, sanitised.
pub fn service_account_for_role(role: &str) -> Result<String, String> {
    let role = role.trim();
    if let Some(name) = role.strip_prefix("serviceaccount:") {
        return if is_dns1123_subdomain(name) {
            Ok(name.to_owned())
        } else {
            Err(format!(
                "{name:?} is not a valid ServiceAccount name (lowercase letters, digits, '-' and '.')"
            ))
        };
    }
    let name = match parse_arn(role) {
        Some(arn) if arn.service == "iam" => arn
            .resource
            .strip_prefix("role/")
            .ok_or_else(|| format!("{role:?} is not an IAM role ARN"))?,
        Some(_) => return Err(format!("{role:?} is not an IAM role ARN")),
        None => role,
    };
    sanitize(last_segment(name), DNS1123_SUBDOMAIN_MAX)
        .ok_or_else(|| format!("role {role:?} leaves no usable ServiceAccount name"))
}

/// The documented image-pull-secret mapping for `repositoryCredentials.credentialsParameter`:
/// a Secrets Manager ARN → the last `/` segment of the secret name, sanitised; any other value
/// → its last segment, sanitised. The Secret must be of type `kubernetes.io/dockerconfigjson`.
pub fn pull_secret_name(credentials_parameter: &str) -> Result<String, String> {
    let value = credentials_parameter.trim();
    let raw = match parse_arn(value) {
        Some(arn) if arn.service == "secretsmanager" => {
            let rest = arn
                .resource
                .strip_prefix("secret:")
                .ok_or_else(|| format!("{value:?} is not a Secrets Manager secret ARN"))?;
            rest.split(':').next().unwrap_or_default()
        }
        Some(arn) => {
            return Err(format!(
                "{value:?} is a {} ARN; credentialsParameter must be a Secrets Manager secret ARN or a Secret name",
                arn.service
            ));
        }
        None => value,
    };
    secret_name(raw, "credentialsParameter")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitising() {
        assert_eq!(sanitize("My_Secret", 253).as_deref(), Some("my-secret"));
        assert_eq!(sanitize("__x__", 253).as_deref(), Some("x"));
        assert_eq!(sanitize("a.b", 253).as_deref(), Some("a-b"));
        assert_eq!(sanitize("___", 253), None);
        assert_eq!(sanitize("abc-def", 4).as_deref(), Some("abc"));
        assert_eq!(sanitize("ÄÖÜx", 63).as_deref(), Some("x"));
    }

    #[test]
    fn validity_checks() {
        assert!(is_dns1123_label("web-1"));
        assert!(!is_dns1123_label("Web"));
        assert!(!is_dns1123_label("-a"));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        assert!(is_dns1123_subdomain("a.b-c.d"));
        assert!(!is_dns1123_subdomain("a..b"));
        assert!(is_secret_key("DB_PASSWORD.v1"));
        assert!(!is_secret_key("a/b"));
        assert!(is_annotation_name("com.example.vendor"));
        assert!(!is_annotation_name("-x"));
        assert!(is_port_name("http-2"));
        assert!(!is_port_name("8080"));
        assert!(!is_port_name("a--b"));
    }

    #[test]
    fn port_names() {
        assert_eq!(port_name("HTTP_Port").as_deref(), Some("http-port"));
        assert_eq!(port_name("a__b").as_deref(), Some("a-b"));
        assert_eq!(
            port_name("my-very-long-port-name").as_deref(),
            Some("my-very-long-po")
        );
        assert_eq!(
            port_name("abcdefghijklmn-x").as_deref(),
            Some("abcdefghijklmn")
        );
        assert_eq!(port_name("8080"), None);
        assert_eq!(port_name("__"), None);
    }

    #[test]
    fn allocator_is_unique_and_deterministic() {
        let mut names = NameAllocator::new(8);
        assert_eq!(names.allocate("Web", "c"), "web");
        assert_eq!(names.allocate("web", "c"), "web-2");
        assert_eq!(names.allocate("WEB", "c"), "web-3");
        assert_eq!(names.allocate("___", "c-1"), "c-1");
        assert_eq!(names.allocate("abcdefghij", "c"), "abcdefgh");
        assert_eq!(names.allocate("abcdefghij", "c"), "abcdef-2");
    }

    #[test]
    fn secrets_manager_arns() {
        let r = secret_ref(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db/Password-AbCdEf",
        )
        .unwrap();
        assert_eq!(
            (r.name.as_str(), r.key.as_str(), r.version_ignored),
            ("password-abcdef", "value", false)
        );
        let r =
            secret_ref("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-creds:username::")
                .unwrap();
        assert_eq!(
            (r.name.as_str(), r.key.as_str(), r.version_ignored),
            ("db-creds", "username", false)
        );
        let r = secret_ref("arn:aws:secretsmanager:us-east-1:1:secret:db:password:AWSPREVIOUS:")
            .unwrap();
        assert!(r.version_ignored);
        assert!(secret_ref("arn:aws:secretsmanager:us-east-1:1:secret:db:a/b").is_err());
    }

    #[test]
    fn ssm_and_plain_references() {
        let r = secret_ref("arn:aws:ssm:us-east-1:123456789012:parameter/prod/api_key").unwrap();
        assert_eq!((r.name.as_str(), r.key.as_str()), ("api-key", "value"));
        let r = secret_ref("/prod/api_key").unwrap();
        assert_eq!((r.name.as_str(), r.key.as_str()), ("api-key", "value"));
        let r = secret_ref("db-creds:password").unwrap();
        assert_eq!((r.name.as_str(), r.key.as_str()), ("db-creds", "password"));
        assert!(secret_ref("arn:aws:kms:us-east-1:1:key/abc").is_err());
        assert!(secret_ref("").is_err());
        assert!(secret_ref("___:key").is_err());
        assert!(secret_ref("name:").is_err());
    }

    #[test]
    fn roles() {
        assert_eq!(
            service_account_for_role("arn:aws:iam::123456789012:role/app/Web_Role").unwrap(),
            "web-role"
        );
        assert_eq!(
            service_account_for_role("serviceaccount:my.sa").unwrap(),
            "my.sa"
        );
        assert_eq!(service_account_for_role("MyRole").unwrap(), "myrole");
        assert!(service_account_for_role("serviceaccount:Bad_Name").is_err());
        assert!(service_account_for_role("arn:aws:iam::1:user/bob").is_err());
        assert!(service_account_for_role("arn:aws:s3:::bucket").is_err());
    }

    #[test]
    fn pull_secrets() {
        assert_eq!(
            pull_secret_name("arn:aws:secretsmanager:us-east-1:1:secret:registry/DockerHub-AbCdEf")
                .unwrap(),
            "dockerhub-abcdef"
        );
        assert_eq!(pull_secret_name("regcred").unwrap(), "regcred");
        assert!(pull_secret_name("arn:aws:ssm:us-east-1:1:parameter/x").is_err());
    }
}
