//! The S3 calls publishing makes, on aws-sdk-s3, with errors turned into messages a user can
//! act on.

use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, MetadataDirective, ObjectIdentifier};
use aws_sdk_s3::Client;

use super::error::PublishError;
use super::local::Headers;

/// Sets an object's stored headers on any of the request builders that take them (PutObject,
/// CreateMultipartUpload, CopyObject share the setter names but no trait).
macro_rules! with_headers {
    ($req:expr, $headers:expr, $hash:expr) => {{
        let headers: &Headers = $headers;
        let mut req = $req.content_type(&headers.content_type).cache_control(&headers.cache_control).metadata("kiln-hash", $hash);
        if let Some(enc) = &headers.content_encoding {
            req = req.content_encoding(enc);
        }
        for (name, value) in &headers.extra {
            req = match name.as_str() {
                "content-disposition" => req.content_disposition(value),
                "content-language" => req.content_language(value),
                "expires" => match aws_sdk_s3::primitives::DateTime::from_str(value, aws_sdk_s3::primitives::DateTimeFormat::HttpDate) {
                    Ok(d) => req.expires(d),
                    Err(_) => req,
                },
                n => match n.strip_prefix("x-amz-meta-") {
                    Some(m) => req.metadata(m, value),
                    None => req,
                },
            };
        }
        req
    }};
}

/// Where to publish, settled from kiln.toml and the command line.
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
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(p) = &t.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &t.region {
        loader = loader.region(Region::new(r.clone()));
    }
    let shared = loader.load().await;
    let mut b = aws_sdk_s3::config::Builder::from(&shared)
        .retry_config(RetryConfig::standard().with_max_attempts(5).with_initial_backoff(Duration::from_millis(200)))
        .timeout_config(
            TimeoutConfig::builder().connect_timeout(Duration::from_secs(5)).operation_attempt_timeout(Duration::from_secs(300)).build(),
        )
        .force_path_style(t.path_style);
    if shared.region().is_none() {
        b = b.region(Region::new("us-east-1"));
    }
    if let Some(e) = &t.endpoint {
        b = b.endpoint_url(e);
    }
    if t.checksum_when_required {
        b = b
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    }
    Client::from_conf(b.build())
}

/// An S3 error on `key` (if about one object) as one line: what failed, and what to check.
pub fn explain<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(what: &str, key: Option<&str>, t: &Target, e: &SdkError<E, R>) -> PublishError {
    PublishError::remote(key, explain_message(what, t, e))
}

fn explain_message<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(what: &str, t: &Target, e: &SdkError<E, R>) -> String {
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

/// (key without the prefix, size) of every object under the prefix.
pub async fn list(c: &Client, t: &Target) -> Result<Vec<(String, u64)>, PublishError> {
    let mut out = Vec::new();
    let mut pages = c.list_objects_v2().bucket(&t.bucket).prefix(&t.prefix).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| explain("listing the bucket", None, t, &e))?;
        for o in page.contents() {
            if let Some(k) = o.key().and_then(|k| k.strip_prefix(t.prefix.as_str())) {
                out.push((k.to_owned(), o.size().unwrap_or(0).max(0) as u64));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Uploads a file (multipart past `multipart_threshold`, streamed from disk in 8 MiB parts).
#[allow(clippy::too_many_arguments)]
pub async fn put(c: &Client, t: &Target, key: &str, source: &super::local::Source, size: u64, headers: &Headers, hash: &str, multipart_threshold: u64) -> Result<(), PublishError> {
    let full = format!("{}{key}", t.prefix);
    let path = match source {
        super::local::Source::Bytes(b) => {
            let req = c.put_object().bucket(&t.bucket).key(&full).body(ByteStream::from(b.as_ref().clone())).content_length(size as i64);
            with_headers!(req, headers, hash).send().await.map_err(|e| explain(&format!("uploading {key}"), Some(key), t, &e))?;
            return Ok(());
        }
        super::local::Source::File(p) => p.as_path(),
    };
    if size < multipart_threshold {
        let body = ByteStream::from_path(path).await.map_err(|e| PublishError::output(path, format!("cannot read: {e}")))?;
        let req = c.put_object().bucket(&t.bucket).key(&full).body(body).content_length(size as i64);
        with_headers!(req, headers, hash).send().await.map_err(|e| explain(&format!("uploading {key}"), Some(key), t, &e))?;
        return Ok(());
    }
    let create = with_headers!(c.create_multipart_upload().bucket(&t.bucket).key(&full), headers, hash);
    let upload = create.send().await.map_err(|e| explain(&format!("starting the upload of {key}"), Some(key), t, &e))?;
    let id = upload.upload_id().unwrap_or_default().to_owned();
    const PART: u64 = 8 * 1024 * 1024;
    let mut parts = Vec::new();
    let mut offset = 0;
    let mut number = 1;
    let result: Result<(), PublishError> = async {
        while offset < size {
            let len = PART.min(size - offset);
            let body = ByteStream::read_from()
                .path(path)
                .offset(offset)
                .length(Length::Exact(len))
                .build()
                .await
                .map_err(|e| PublishError::output(path, format!("cannot read: {e}")))?;
            let part = c
                .upload_part()
                .bucket(&t.bucket)
                .key(&full)
                .upload_id(&id)
                .part_number(number)
                .content_length(len as i64)
                .body(body)
                .send()
                .await
                .map_err(|e| explain(&format!("uploading part {number} of {key}"), Some(key), t, &e))?;
            parts.push(CompletedPart::builder().part_number(number).set_e_tag(part.e_tag().map(str::to_owned)).build());
            offset += len;
            number += 1;
        }
        c.complete_multipart_upload()
            .bucket(&t.bucket)
            .key(&full)
            .upload_id(&id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map_err(|e| explain(&format!("finishing the upload of {key}"), Some(key), t, &e))?;
        Ok(())
    }
    .await;
    if result.is_err() {
        let _ = c.abort_multipart_upload().bucket(&t.bucket).key(&full).upload_id(&id).send().await;
    }
    result
}

/// Small bodies (deploy records).
pub async fn put_bytes(c: &Client, t: &Target, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), PublishError> {
    c.put_object()
        .bucket(&t.bucket)
        .key(format!("{}{key}", t.prefix))
        .content_type(content_type)
        .cache_control("no-store")
        .body(ByteStream::from(bytes))
        .send()
        .await
        .map_err(|e| explain(&format!("writing {key}"), Some(key), t, &e))?;
    Ok(())
}

pub async fn get_bytes(c: &Client, t: &Target, key: &str) -> Result<Vec<u8>, PublishError> {
    let o = c.get_object().bucket(&t.bucket).key(format!("{}{key}", t.prefix)).send().await.map_err(|e| explain(&format!("reading {key}"), Some(key), t, &e))?;
    let data = o.body.collect().await.map_err(|e| PublishError::remote(Some(key), format!("reading {key}: {e}")))?;
    Ok(data.into_bytes().to_vec())
}

/// The `kiln-hash` metadata of an object.
pub async fn head_hash(c: &Client, t: &Target, key: &str) -> Result<Option<String>, PublishError> {
    match c.head_object().bucket(&t.bucket).key(format!("{}{key}", t.prefix)).send().await {
        Ok(h) => Ok(h.metadata().and_then(|m| m.get("kiln-hash")).cloned()),
        Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 404 => Ok(None),
        Err(e) => Err(explain(&format!("reading the metadata of {key}"), Some(key), t, &e)),
    }
}

/// A server-side copy with new headers (archived copies in, rollbacks out).
pub async fn copy(c: &Client, t: &Target, from: &str, to: &str, headers: &Headers, hash: &str) -> Result<(), PublishError> {
    let source = format!("{}/{}", t.bucket, percent_encoding::utf8_percent_encode(&format!("{}{from}", t.prefix), COPY_SOURCE));
    let req = with_headers!(
        c.copy_object()
            .bucket(&t.bucket)
            .key(format!("{}{to}", t.prefix))
            .copy_source(source)
            .metadata_directive(MetadataDirective::Replace),
        headers,
        hash
    );
    req.send().await.map_err(|e| explain(&format!("copying {from} to {to}"), Some(to), t, &e))?;
    Ok(())
}

const COPY_SOURCE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Deletes keys (without the prefix), 1,000 per request.
pub async fn delete(c: &Client, t: &Target, keys: &[String]) -> Result<(), PublishError> {
    for chunk in keys.chunks(1000) {
        let objects: Vec<ObjectIdentifier> =
            chunk.iter().filter_map(|k| ObjectIdentifier::builder().key(format!("{}{k}", t.prefix)).build().ok()).collect();
        let delete = Delete::builder().set_objects(Some(objects)).quiet(true).build().map_err(|e| PublishError::remote(None, e.to_string()))?;
        let out = c.delete_objects().bucket(&t.bucket).delete(delete).send().await.map_err(|e| explain("deleting old objects", None, t, &e))?;
        if let Some(err) = out.errors().first() {
            let key = err.key().and_then(|k| k.strip_prefix(t.prefix.as_str())).unwrap_or("?");
            return Err(PublishError::remote(Some(key), format!("deleting {key}: {}", err.message().unwrap_or("refused"))));
        }
    }
    Ok(())
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
