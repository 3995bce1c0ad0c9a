//! A decoded response together with the exact bytes it was decoded from.

use std::ops::Deref;

use bytes::Bytes;

/// A verified response: the decoded value, and the body exactly as the
/// server sent (and signed) it.
///
/// The raw body is kept because re-serialising the value would not give back
/// the same bytes (key order, added fields, spacing): a CLI that prints "the
/// API's answer" or an audit log that stores it with its signature needs the
/// original. Dereferences to the value for convenience.
#[derive(Debug, Clone, PartialEq)]
pub struct Signed<T> {
    value: T,
    body: Bytes,
    status: u16,
}

impl<T> Signed<T> {
    pub(crate) fn new(value: T, body: Bytes, status: u16) -> Self {
        Signed { value, body, status }
    }

    /// The decoded value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The decoded value, dropping the raw body.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The response body exactly as received; its signature was verified.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The HTTP status (200 or 201).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The value and the raw body.
    pub fn into_parts(self) -> (T, Bytes) {
        (self.value, self.body)
    }
}

impl<T> Deref for Signed<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}
