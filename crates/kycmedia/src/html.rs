//! What the server's pages (the capture page, the console) share: text
//! put into the HTML they render, and their compiled-in assets.

use axum::{
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};

/// `text` safe inside HTML text and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A compiled-in script or style, kept ten minutes by the browser: the
/// assets change only with the binary.
pub fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=600"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_put_into_a_page_cannot_open_a_tag_or_leave_an_attribute() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
