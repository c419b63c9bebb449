//! Receiving an upload: the `file` part of a `multipart/form-data` body, streamed into a
//! temporary object while it is hashed (SHA-256), counted against the limit and its first
//! bytes kept to tell its type. Never the whole file in memory.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use sha2::{Digest, Sha256};
use support_core::{BlobKey, BlobStream, Error};

use super::Attachments;
use super::file_type::{FileType, SNIFF_BYTES};
use crate::api::ApiError;

/// Bytes of form fields other than `file` read (and dropped) at most.
const OTHER_FIELDS_BYTES: usize = 64 * 1024;

/// An upload written to its temporary object.
#[derive(Debug)]
pub(crate) struct Received {
    /// Where the bytes are now.
    pub(crate) temp: BlobKey,
    /// The client's file name, as sent.
    pub(crate) name: String,
    /// The part's declared `Content-Type`.
    pub(crate) declared: Option<String>,
    /// The type from the bytes.
    pub(crate) file_type: FileType,
    /// The bytes' count.
    pub(crate) size: u64,
    /// Their SHA-256, lowercase hex.
    pub(crate) sha256: String,
}

/// How reading the part ended.
enum Fed {
    Done,
    TooLarge,
    Broken(String),
}

fn file_required() -> ApiError {
    ApiError::Service(Error::invalid("file", "The file field is required."))
}

/// Reads the body's `file` part into a new temporary object of `config`'s blob store. On any
/// failure nothing is left behind: 413 as soon as the part passes the limit, 400 for a body
/// that breaks off or is not valid multipart, 415 for one that is not `multipart/form-data`,
/// 422 on `file` when there is no such part.
pub(crate) async fn receive(
    config: Arc<Attachments>,
    request: Request,
) -> Result<Received, ApiError> {
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|_| ApiError::UnsupportedMediaType)?;
    let broken =
        |e: axum::extract::multipart::MultipartError| ApiError::UnreadableBody(e.body_text());
    let mut other_bytes = 0usize;
    loop {
        let Some(mut field) = multipart.next_field().await.map_err(broken)? else {
            return Err(file_required());
        };
        if field.name() != Some("file") {
            while let Some(chunk) = field.chunk().await.map_err(broken)? {
                other_bytes += chunk.len();
                if other_bytes > OTHER_FIELDS_BYTES {
                    return Err(ApiError::PayloadTooLarge);
                }
            }
            continue;
        }
        let name = field.file_name().unwrap_or_default().to_owned();
        let declared = field.content_type().map(str::to_owned);
        let token = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let temp = BlobKey::temporary(&token);

        let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(1);
        let body: BlobStream = Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        }));
        let max = config.max_bytes;
        let mut hasher = Sha256::new();
        let mut prefix: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
        let mut size = 0u64;
        let feed = async {
            let fed = loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        size += chunk.len() as u64;
                        if size > max {
                            let _ = tx
                                .send(Err(std::io::Error::other("over the size limit")))
                                .await;
                            break Fed::TooLarge;
                        }
                        hasher.update(&chunk);
                        if prefix.len() < SNIFF_BYTES {
                            let take = (SNIFF_BYTES - prefix.len()).min(chunk.len());
                            prefix.extend_from_slice(&chunk[..take]);
                        }
                        if tx.send(Ok(chunk)).await.is_err() {
                            break Fed::Done; // the store gave up: its error tells why
                        }
                    }
                    Ok(None) => break Fed::Done,
                    Err(e) => {
                        let why = e.body_text();
                        let _ = tx.send(Err(std::io::Error::other(why.clone()))).await;
                        break Fed::Broken(why);
                    }
                }
            };
            drop(tx);
            fed
        };
        let (put, fed) = tokio::join!(config.blobs.put(&temp, body), feed);
        let failure = match (fed, put) {
            (Fed::Done, Ok(_)) => None,
            (Fed::TooLarge, _) => Some(ApiError::PayloadTooLarge),
            (Fed::Broken(why), _) => Some(ApiError::UnreadableBody(why)),
            (Fed::Done, Err(e)) => Some(ApiError::Service(e)),
        };
        if let Some(failure) = failure {
            // The store left nothing (its contract); deleting again costs little.
            let _ = config.blobs.delete(&temp).await;
            return Err(failure);
        }
        let complete = size as usize <= SNIFF_BYTES;
        return Ok(Received {
            temp,
            name,
            declared,
            file_type: FileType::of(&prefix, complete),
            size,
            sha256: hex::encode(hasher.finalize()),
        });
    }
}
