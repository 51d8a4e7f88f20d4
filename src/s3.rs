//! The S3 client kiln's remote uses share (publishing, the remote build cache): settings
//! that work on AWS and on S3-compatible servers, and errors as messages a user can act on.

use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::Client;

/// A bucket and prefix, and how to reach them (settled from kiln.toml and the command line).
#[derive(Debug, Clone)]
pub struct Target {
    pub bucket: String,
    /// Empty, or ending with `/`.
    pub prefix: String,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub path_style: bool,
    pub checksum_when_required: bool,
    pub profile: Option<String>,
}

/// The client settings: AWS's credential chain (environment, profiles, SSO, instance roles),
/// retries with backoff on throttling, 5xx and timeouts, and for S3-compatible servers
/// path-style addressing and checksums only when an operation requires one (many reject the
/// SDK's default CRC32 trailers: aws-sdk-rust#1240).
pub async fn client(t: &Target) -> Client {
    client_with(t, 5, Duration::from_secs(5), Duration::from_secs(300)).await
}

/// The same client with other limits: `attempts` per request, and the timeouts to connect
/// and of each attempt (the remote build cache gives up sooner than publishing does).
pub async fn client_with(t: &Target, attempts: u32, connect: Duration, attempt: Duration) -> Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(p) = &t.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &t.region {
        loader = loader.region(Region::new(r.clone()));
    }
    let shared = loader.load().await;
    let mut b = aws_sdk_s3::config::Builder::from(&shared)
        .retry_config(RetryConfig::standard().with_max_attempts(attempts).with_initial_backoff(Duration::from_millis(200)))
        .timeout_config(TimeoutConfig::builder().connect_timeout(connect).operation_attempt_timeout(attempt).build())
        .force_path_style(t.path_style);
    if shared.region().is_none() {
        b = b.region(Region::new("us-east-1"));
    }
    if let Some(e) = &t.endpoint {
        b = b.endpoint_url(e);
    }
    if t.checksum_when_required {
        b = b.request_checksum_calculation(RequestChecksumCalculation::WhenRequired).response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    }
    Client::from_conf(b.build())
}

pub fn explain_message<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(what: &str, t: &Target, e: &SdkError<E, R>) -> String {
    let code = e.code().unwrap_or_default();
    let where_ = t.endpoint.clone().unwrap_or_else(|| "AWS S3".into());
    match e {
        SdkError::DispatchFailure(d) => {
            let cause = d.as_connector_error().map_or_else(|| format!("{d:?}"), |c| c.to_string());
            format!("{what}: cannot reach {where_} ({cause}); check publish.endpoint and the network")
        }
        SdkError::TimeoutError(_) => format!("{what}: {where_} did not answer in time"),
        SdkError::ConstructionFailure(c) => format!("{what}: {c:?} (are credentials set? AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile)"),
        _ => match code {
            "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "AccessDenied" | "InvalidToken" | "ExpiredToken" | "Forbidden" => format!(
                "{what}: {where_} refused the credentials ({code}: {}); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile, and that the key may write to bucket {:?}",
                e.message().unwrap_or(""),
                t.bucket
            ),
            "NoSuchBucket" => format!("{what}: bucket {:?} does not exist at {where_} (kiln never creates buckets)", t.bucket),
            "" => format!("{what}: {e:?}"),
            _ => format!("{what}: {code}: {}", e.message().unwrap_or("")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(endpoint: Option<&str>, when_required: bool) -> Target {
        Target {
            bucket: "b".into(),
            prefix: String::new(),
            region: Some("auto".into()),
            endpoint: endpoint.map(str::to_owned),
            path_style: endpoint.is_some(),
            checksum_when_required: when_required,
            profile: None,
        }
    }

    /// Garage accepts the SDK's default checksums, so the integration tests cannot catch a
    /// regression here: S3-compatible endpoints must get checksums only when required.
    #[test]
    fn custom_endpoints_send_checksums_only_when_required() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let c = rt.block_on(client(&target(Some("http://127.0.0.1:9"), true)));
        assert_eq!(c.config().request_checksum_calculation(), Some(&RequestChecksumCalculation::WhenRequired));
        assert_eq!(c.config().response_checksum_validation(), Some(&ResponseChecksumValidation::WhenRequired));
        let aws = rt.block_on(client(&target(None, false)));
        assert_ne!(aws.config().request_checksum_calculation(), Some(&RequestChecksumCalculation::WhenRequired));
    }
}
