//! Webhooks: what kind a delivery is, where it stands, and the event
//! webhook's body (the decision webhook's is in `decision`). Signing them is
//! `signing`'s, the same HMAC as an API answer.

string_enum! {
    /// Which of an integration's two webhook URLs a delivery goes to.
    WebhookKind {
        Event => "event",
        Decision => "decision",
    }
}

string_enum! {
    /// Where a delivery stands: `pending` (tried again at its next attempt
    /// time), `delivered` (a 2xx answer), `gone` (the receiver answered 410
    /// Gone: not tried again unless replayed) or `failed` (every retry of
    /// the schedule failed).
    WebhookState {
        Pending => "pending",
        Delivered => "delivered",
        Gone => "gone",
        Failed => "failed",
    }
}

/// The header that carries a delivery's stable id, the same on every retry,
/// so that a receiver can drop a webhook it has already handled.
pub const WEBHOOK_ID_HEADER: &str = "X-Kycmedia-Webhook-Id";

string_enum! {
    /// What an event webhook announces.
    Action {
        Started => "started",
        Submitted => "submitted",
    }
}

/// An event webhook's body (`started` 7001, `submitted` 7002).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventWebhook {
    /// The session id.
    pub id: String,
    pub attempt_id: String,
    /// The product the session belongs to; always `selfid`.
    pub feature: String,
    pub code: u16,
    pub action: Action,
    pub vendor_data: Option<String>,
    pub end_user_id: Option<String>,
}

impl Action {
    /// 7001 or 7002.
    pub fn code(self) -> u16 {
        match self {
            Action::Started => 7001,
            Action::Submitted => 7002,
        }
    }
}
