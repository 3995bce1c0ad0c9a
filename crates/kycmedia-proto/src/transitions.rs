//! The one state machine of sessions and attempts: which event moves which
//! status where. The server asks this table before it writes, and the
//! store's guarded SQL is tested against it status by status
//! (`kycmedia::store`'s tests), so the two cannot drift apart.

use crate::wire::Status;

/// What can happen to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A file is uploaded: the session takes media and is `started`.
    Upload,
    /// The client submits the attempt for review.
    Submit,
    /// The session's lifetime ran out before it was submitted.
    Expire,
    /// A reviewer records a decision (`approved`, `declined`,
    /// `resubmission_requested`, or `review` to decide later).
    Decide(Status),
}

impl Status {
    /// The session's status after `event`, or `None` when the event is not
    /// allowed in this status (the API answers 409, or 400 1304 for a
    /// submit). A submit's `Submitted` may be recorded directly as a test
    /// integration's automatic decision instead (see `lifecycle`).
    pub fn after(self, event: Event) -> Option<Status> {
        use Status::*;
        match (event, self) {
            // A resubmission request reopens the session: the next upload
            // starts a new attempt.
            (Event::Upload, Created | Started | ResubmissionRequested) => Some(Started),
            (Event::Submit, Created | Started) => Some(Submitted),
            (Event::Decide(decision), Submitted | Review) if decision.is_decision() => Some(decision),
            // Time ends a session that was never submitted: `expired` when
            // nothing was uploaded, `abandoned` when something was.
            (Event::Expire, Created) => Some(Expired),
            (Event::Expire, Started | ResubmissionRequested) => Some(Abandoned),
            // A reviewer may first take a submitted session into review.
            (Event::Decide(Review), Submitted) => Some(Review),
            _ => None,
        }
    }

    /// The statuses in which `event` is allowed, in `Status::ALL`'s order.
    pub fn allowing(event: Event) -> Vec<Status> {
        Status::ALL
            .iter()
            .copied()
            .filter(|s| s.after(event).is_some())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_taken_while_open_and_after_a_resubmission_request() {
        assert_eq!(
            Status::allowing(Event::Upload),
            [Status::Created, Status::Started, Status::ResubmissionRequested]
        );
    }

    #[test]
    fn only_an_open_session_can_be_submitted_and_only_a_submitted_one_decided() {
        assert_eq!(Status::allowing(Event::Submit), [Status::Created, Status::Started]);
        assert_eq!(
            Status::allowing(Event::Decide(Status::Approved)),
            [Status::Submitted, Status::Review]
        );
        // Only a decision decides.
        assert_eq!(Status::allowing(Event::Decide(Status::Started)), []);
    }

    #[test]
    fn an_open_attempt_is_one_a_submit_would_close() {
        for status in Status::ALL {
            assert_eq!(status.is_open(), status.after(Event::Submit).is_some(), "{status}");
        }
    }
}
