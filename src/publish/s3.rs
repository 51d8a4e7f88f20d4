//! The S3 calls publishing makes, on aws-sdk-s3 (the client is [`crate::s3`]'s), with errors
//! turned into messages a user can act on.

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

pub use crate::s3::{client, client_with, explain_message, Target};

/// An S3 error on `key` (if about one object) as one line: what failed, and what to check.
pub fn explain<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(what: &str, key: Option<&str>, t: &Target, e: &SdkError<E, R>) -> PublishError {
    PublishError::remote(key, explain_message(what, t, e))
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
pub async fn put(
    c: &Client,
    t: &Target,
    key: &str,
    source: &super::local::Source,
    size: u64,
    headers: &Headers,
    hash: &str,
    multipart_threshold: u64,
) -> Result<(), PublishError> {
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
    let o =
        c.get_object().bucket(&t.bucket).key(format!("{}{key}", t.prefix)).send().await.map_err(|e| explain(&format!("reading {key}"), Some(key), t, &e))?;
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
        c.copy_object().bucket(&t.bucket).key(format!("{}{to}", t.prefix)).copy_source(source).metadata_directive(MetadataDirective::Replace),
        headers,
        hash
    );
    req.send().await.map_err(|e| explain(&format!("copying {from} to {to}"), Some(to), t, &e))?;
    Ok(())
}

const COPY_SOURCE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Deletes keys (without the prefix), 1,000 per request.
pub async fn delete(c: &Client, t: &Target, keys: &[String]) -> Result<(), PublishError> {
    for chunk in keys.chunks(1000) {
        let objects: Vec<ObjectIdentifier> = chunk.iter().filter_map(|k| ObjectIdentifier::builder().key(format!("{}{k}", t.prefix)).build().ok()).collect();
        let delete = Delete::builder().set_objects(Some(objects)).quiet(true).build().map_err(|e| PublishError::remote(None, e.to_string()))?;
        let out = c.delete_objects().bucket(&t.bucket).delete(delete).send().await.map_err(|e| explain("deleting old objects", None, t, &e))?;
        if let Some(err) = out.errors().first() {
            let key = err.key().and_then(|k| k.strip_prefix(t.prefix.as_str())).unwrap_or("?");
            return Err(PublishError::remote(Some(key), format!("deleting {key}: {}", err.message().unwrap_or("refused"))));
        }
    }
    Ok(())
}
