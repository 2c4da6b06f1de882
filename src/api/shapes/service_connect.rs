//! Service Connect, VPC Lattice, gateway connector and monitoring shapes of CreateServiceRequest.
//!
//! Generated once from the ECS API model (botocore `ecs/2014-11-13`) and maintained by hand:
//! field names, casing and types are exactly ECS's, so ECS JSON pastes in unchanged.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::*;

/// A gateway connector that attaches an Amazon ECS service to a gateway ingress path.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayConnector {
    /// The name of the service port that the gateway routes ingress traffic to.
    pub port_name: String,
    /// The health check that the gateway uses to determine whether the targets for this connector are healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<GatewayConnectorHealthCheck>,
    /// The filters that control which gateway ingress paths the connector applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<GatewayConnectorFilters>,
    /// The deregistration delay settings for the targets of this connector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deregistration_delay: Option<GatewayConnectorDeregistrationDelay>,
}

/// The amount of time to allow in-flight requests to complete before a deregistering target is removed.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayConnectorDeregistrationDelay {
    /// The amount of time, in seconds, to wait before a deregistering target is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i32>,
}

/// The filters that determine which gateway ingress paths a connector applies to.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayConnectorFilters {
    /// The access types of the gateway ingress paths that the connector applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_types: Option<Vec<AccessType>>,
}

/// The health check configuration that a gateway uses to evaluate the targets associated with a gateway connector.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayConnectorHealthCheck {
    /// The protocol that the gateway uses to perform health checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_protocol: Option<GatewayConnectorHealthCheckProtocol>,
    /// The port that the gateway uses to perform health checks on the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_port: Option<i32>,
    /// The destination path for health check requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_path: Option<String>,
    /// The amount of time, in seconds, during which no response from a target means a failed health check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_timeout_seconds: Option<i32>,
    /// The approximate amount of time, in seconds, between health checks of an individual target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_interval_seconds: Option<i32>,
    /// The number of consecutive successful health checks that a target must pass before the gateway considers it healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_threshold_count: Option<i32>,
    /// The number of consecutive failed health checks that a target must fail before the gateway considers it unhealthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unhealthy_threshold_count: Option<i32>,
    /// The HTTP or gRPC codes that indicate a successful health check response from a target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<GatewayConnectorHealthCheckMatcher>,
}

/// The codes that indicate a successful health check response from a target.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayConnectorHealthCheckMatcher {
    /// The HTTP codes that indicate a successful response from a target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_code: Option<String>,
    /// The gRPC codes that indicate a successful response from a target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc_code: Option<String>,
}

/// The configuration for a specific set of metrics to collect for a service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricConfiguration {
    /// The list of metric names to configure.
    pub metric_names: Vec<String>,
    /// The resolution, in seconds, at which to collect the metrics.
    pub resolution_seconds: i32,
}

/// The optional monitoring configuration for a service, which defines the resolution for the service-level CPUUtilization and MemoryUtilization Amazon CloudWatch metrics.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonitoringConfiguration {
    /// The list of metric configurations for the service monitoring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_configurations: Option<Vec<MetricConfiguration>>,
}

/// Configuration for Service Connect access logging.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectAccessLogConfiguration {
    /// The format for Service Connect access log output.
    pub format: ServiceConnectAccessLoggingFormat,
    /// Specifies whether to include query parameters in Service Connect access logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_query_parameters: Option<ServiceConnectIncludeQueryParameters>,
}

/// Each alias ("endpoint") is a fully-qualified name and port number that other tasks ("clients") can use to connect to this service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectClientAlias {
    /// The listening port number for the Service Connect proxy.
    pub port: i32,
    /// The dnsName is the name that you use in the applications of client tasks to connect to this service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    /// The configuration for test traffic routing rules used during blue/green deployments with Amazon ECS Service Connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_traffic_rules: Option<ServiceConnectTestTrafficRules>,
}

/// The Service Connect configuration of your Amazon ECS service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectConfiguration {
    /// Specifies whether to use Service Connect with this service.
    pub enabled: bool,
    /// The namespace name or full Amazon Resource Name (ARN) of the Cloud Map namespace for use with Service Connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The list of Service Connect service objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<ServiceConnectService>>,
    /// The log configuration for the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
    /// The configuration for Service Connect access logging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_log_configuration: Option<ServiceConnectAccessLogConfiguration>,
    /// The settings for the Service Connect proxy container that Amazon ECS adds to each task in this service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_configurations: Option<Vec<ServiceConnectContainerConfiguration>>,
}

/// Contains a configuration setting for the Service Connect proxy container, such as the log level.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectContainerConfiguration {
    /// The log level of the Service Connect proxy container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<ServiceConnectContainerLogLevel>,
}

/// The Service Connect service object configuration.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectService {
    /// The portName must match the name of one of the portMappings from all the containers in the task definition of this Amazon ECS service.
    pub port_name: String,
    /// The discoveryName is the name of the new Cloud Map service that Amazon ECS creates for this Amazon ECS service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery_name: Option<String>,
    /// The list of client aliases for this Service Connect service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_aliases: Option<Vec<ServiceConnectClientAlias>>,
    /// The port number for the Service Connect proxy to listen on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_port_override: Option<i32>,
    /// A reference to an object that represents the configured timeouts for Service Connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<TimeoutConfiguration>,
    /// A reference to an object that represents a Transport Layer Security (TLS) configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ServiceConnectTlsConfiguration>,
}

/// The header matching rules for test traffic routing in Amazon ECS blue/green deployments.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTestTrafficHeaderMatchRules {
    /// The exact value that the HTTP header must match for the test traffic routing rule to apply.
    pub exact: String,
}

/// The HTTP header rules used to identify and route test traffic during Amazon ECS blue/green deployments.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTestTrafficHeaderRules {
    /// The name of the HTTP header to examine for test traffic routing.
    pub name: String,
    /// The header value matching configuration that determines how the HTTP header value is evaluated for test traffic routing decisions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<ServiceConnectTestTrafficHeaderMatchRules>,
}

/// The test traffic routing configuration for Amazon ECS blue/green deployments.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTestTrafficRules {
    /// The HTTP header-based routing rules that determine which requests should be routed to the new service version during blue/green deployment testing.
    pub header: ServiceConnectTestTrafficHeaderRules,
}

/// The certificate root authority that secures your service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTlsCertificateAuthority {
    /// The ARN of the Amazon Web Services Private Certificate Authority certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_pca_authority_arn: Option<String>,
}

/// The key that encrypts and decrypts your resources for Service Connect TLS.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTlsConfiguration {
    /// The signer certificate authority.
    pub issuer_certificate_authority: ServiceConnectTlsCertificateAuthority,
    /// The Amazon Web Services Key Management Service key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
    /// The Amazon Resource Name (ARN) of the IAM role that's associated with the Service Connect TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

/// An object that represents the timeout configurations for Service Connect.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimeoutConfiguration {
    /// The amount of time in seconds a connection will stay active while idle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_seconds: Option<i32>,
    /// The amount of time waiting for the upstream to respond with a complete response per request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_request_timeout_seconds: Option<i32>,
}

/// The advanced settings for VPC Lattice used in blue/green deployments.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct VpcLatticeAdvancedConfiguration {
    /// The Amazon Resource Name (ARN) of the alternate target group associated with the VPC Lattice Configuration for Amazon ECS blue/green deployments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_target_group_arn: Option<String>,
    /// The Amazon Resource Name (ARN) that identifies the production listener rule or listener for routing production traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_listener_rule: Option<String>,
    /// The Amazon Resource Name (ARN) that identifies the test listener rule or listener for routing test traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_listener_rule: Option<String>,
}

/// The VPC Lattice configuration for your service that holds the information for the target group(s) Amazon ECS tasks will be registered to.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct VpcLatticeConfiguration {
    /// The ARN of the IAM role to associate with this VPC Lattice configuration.
    pub role_arn: String,
    /// The full Amazon Resource Name (ARN) of the target group or groups associated with the VPC Lattice configuration that the Amazon ECS tasks will be registered to.
    pub target_group_arn: String,
    /// The name of the port mapping to register in the VPC Lattice target group.
    pub port_name: String,
    /// The advanced settings for VPC Lattice used in blue/green deployments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_configuration: Option<VpcLatticeAdvancedConfiguration>,
}

/// Specifies whether a resource is publicly accessible from the internet or private to a VPC.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum AccessType {
    #[serde(rename = "PUBLIC")]
    Public,
    #[serde(rename = "PRIVATE")]
    Private,
}

/// The protocol that a gateway uses to perform health checks on connector targets.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum GatewayConnectorHealthCheckProtocol {
    #[serde(rename = "HTTP")]
    Http,
    #[serde(rename = "HTTPS")]
    Https,
}

/// The format for Service Connect access log output.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ServiceConnectAccessLoggingFormat {
    #[serde(rename = "TEXT")]
    Text,
    #[serde(rename = "JSON")]
    Json,
}

/// The log level of the Service Connect proxy container.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ServiceConnectContainerLogLevel {
    #[serde(rename = "debug")]
    Debug,
    #[serde(rename = "info")]
    Info,
}

/// Controls whether query parameters are included in Service Connect access logs.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ServiceConnectIncludeQueryParameters {
    #[serde(rename = "DISABLED")]
    Disabled,
    #[serde(rename = "ENABLED")]
    Enabled,
}
