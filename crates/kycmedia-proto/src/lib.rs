//! The wire contract kycmedia speaks: the media slice of a Veriff-compatible
//! Public API v1. Server and SDK share this crate so that both sides agree on
//! every JSON shape, error code and signature to the byte.

/// Declares a closed set of wire strings as a Rust enum with exact parsing.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant,)+ }

        impl $name {
            /// Every value, in the order the provider documents them.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            /// Parses the exact wire spelling; anything else is `None`.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod context;
pub mod error;
pub mod headers;
pub mod signing;
pub mod transitions;
pub mod wire;

pub use context::{Context, ImageContext, MediaKind, VideoContext};
pub use error::{ApiError, FailBody};
pub use wire::Status;
