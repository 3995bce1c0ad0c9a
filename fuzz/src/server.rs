//! The server's request-body parsers: upload (with its base64 and `data:`
//! URI decoding), session creation and submission. Each refuses with one
//! of the contract's codes, never panics, and what it accepts holds what
//! the contract promises.

use kycmedia::{ingest, lifecycle};
use serde_json::json;

/// Any bytes as an upload's `content` string (so the fuzzer spends its time
/// inside base64 and `data:` URI decoding, not in JSON syntax), under both
/// keys; an accepted upload holds at least one byte, no more than the
/// base64 text could spell.
pub fn content_decoding(data: &[u8]) {
    let content = String::from_utf8_lossy(data);
    for (key, context) in [("image", "face"), ("video", "selfid_video")] {
        let body = json!({ key: { "context": context, "content": content } }).to_string();
        if let Ok(upload) = ingest::parse(body.as_bytes()) {
            assert!(!upload.bytes.is_empty(), "an accepted upload has bytes");
            assert!(
                upload.bytes.len() <= content.len() * 3 / 4,
                "more bytes than base64 spells"
            );
            assert_eq!(upload.context.as_str(), context);
        }
    }
}

/// Any bytes as the body of each JSON endpoint. Refusals carry a reason;
/// nothing panics.
pub fn json_bodies(data: &[u8]) {
    for refused in [
        ingest::parse(data).err(),
        lifecycle::parse_session_request(data).err(),
        lifecycle::parse_submit(data).err(),
    ]
    .into_iter()
    .flatten()
    {
        assert!(refused.reason.is_some(), "{:?} without a reason", refused.error);
    }
    if let Ok(request) = lifecycle::parse_session_request(data)
        && let Some(vendor_data) = &request.vendor_data
    {
        assert!(vendor_data.chars().count() <= 1000, "vendorData over 1000 characters");
    }
}
