//! Headers kycmedia adds beside the contract's body (docs/api.md §9). The
//! body of every answer stays exactly the provider's; what a person needs to
//! find or fix a failed request travels in these headers instead. Neither is
//! covered by the response signature, so they inform and never decide.

/// Every answer carries the request's id: the client's own `X-Request-Id`
/// when it sent a usable one, else a fresh UUID. Server log lines carry it too.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// A client error may say why in words, e.g. `image/jpeg does not suit
/// context selfid_video`, where the contract's message is only
/// "Request includes invalid parameters.". One line of printable ASCII.
pub const REASON_HEADER: &str = "x-kycmedia-reason";

/// Most characters of a reason; longer ones are cut at a character boundary.
pub const REASON_MAX_LEN: usize = 1024;

/// A reason made fit for a header: printable ASCII only (anything else
/// becomes `?`), at most [`REASON_MAX_LEN`] characters.
pub fn header_safe_reason(reason: &str) -> String {
    reason
        .chars()
        .take(REASON_MAX_LEN)
        .map(|c| if c == ' ' || c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_with_line_breaks_or_non_ascii_text_becomes_one_printable_line() {
        assert_eq!(header_safe_reason("bad\r\nX-Evil: 1"), "bad??X-Evil: 1");
        assert_eq!(header_safe_reason("café"), "caf?");
        assert_eq!(header_safe_reason(&"x".repeat(5000)).len(), REASON_MAX_LEN);
    }
}
