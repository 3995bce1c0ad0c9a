//! The queue, one case, taking a case and deciding it.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::request::Parts,
};
use kycmedia_media::evidence::round4;
use kycmedia_proto::{MediaKind, Status, decision::REASONS};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Console, Refusal, SignedIn, Touched, accounts::visible_integrations, record};
use crate::{
    ids::{AttemptId, IntegrationId, MediaId, rfc3339_ms},
    store::{Attempt, CaseFilter, Session, StoreError, Verdict},
};

/// Cases a page of the queue lists.
const PAGE: i64 = 50;
/// The longest comment a decision takes, in characters.
const MAX_COMMENT_CHARS: usize = 2000;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct QueueQuery {
    integration: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    vendor_data: Option<String>,
    after: Option<String>,
}

/// Milliseconds at the start of a `YYYY-MM-DD` day, UTC.
fn day_start(text: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(text, &format).ok()?;
    Some((day.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Empty query values are no filter (a form sends every field).
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl QueueQuery {
    fn filter(&self) -> Result<CaseFilter, Refusal> {
        let status = match given(&self.status) {
            None => None,
            Some(s) => match Status::parse(s) {
                Some(s @ (Status::Submitted | Status::Review)) => Some(s),
                _ => return Err(Refusal::Invalid("status")),
            },
        };
        let day = |value: &Option<String>, field| {
            given(value)
                .map(|d| day_start(d).ok_or(Refusal::Invalid(field)))
                .transpose()
        };
        let after = match given(&self.after) {
            None => None,
            Some(cursor) => {
                let (at, id) = cursor.split_once('_').ok_or(Refusal::Invalid("after"))?;
                Some((at.parse().map_err(|_| Refusal::Invalid("after"))?, AttemptId::from(id)))
            }
        };
        Ok(CaseFilter {
            integration: given(&self.integration).map(IntegrationId::from),
            status,
            submitted_from: day(&self.from, "from")?,
            // The last day given is in: before the start of the next.
            submitted_before: day(&self.to, "to")?.map(|start| start + 86_400_000),
            vendor_data: given(&self.vendor_data).map(str::to_owned),
            after,
            limit: PAGE + 1,
        })
    }
}

/// `GET /console/api/queue`: the waiting cases the reviewer may see, oldest
/// first, a page at a time.
pub async fn queue(
    State(console): State<Arc<Console>>,
    Extension(signed): Extension<SignedIn>,
    Query(query): Query<QueueQuery>,
    parts: Parts,
) -> Result<Json<Value>, Refusal> {
    let filter = query.filter()?;
    // The queue shows sessions' vendorData: a listing is an access too.
    record(
        &console,
        Some(&signed.reviewer),
        &parts,
        "GET /console/api/queue",
        Touched::default(),
        200,
    )
    .await;
    let mut cases = console
        .core
        .store
        .reviews()
        .waiting_cases(&signed.reviewer.id, &filter)
        .await?;
    let next = (cases.len() as i64 > PAGE).then(|| {
        cases.truncate(PAGE as usize);
        cases.last().map(|c| format!("{}_{}", c.waiting_since, c.attempt_id))
    });
    let listed: Vec<Value> = cases
        .iter()
        .map(|c| {
            json!({
                "attemptId": c.attempt_id,
                "sessionId": c.session_id,
                "integration": { "id": c.integration_id, "name": c.integration_name },
                "status": c.status.as_str(),
                "vendorData": c.vendor_data,
                "attemptSeq": c.attempt_seq,
                "submittedAt": rfc3339_ms(c.waiting_since),
                "media": c.media,
                "assignee": c.assignee_name,
                "assignedToMe": c.assignee_id.as_ref() == Some(&signed.reviewer.id),
            })
        })
        .collect();
    Ok(Json(json!({
        "integrations": visible_integrations(&console, &signed).await?,
        "cases": listed,
        "next": next.flatten(),
    })))
}

/// The case the reviewer may see, or 404 as for one that does not exist.
async fn visible(console: &Console, signed: &SignedIn, attempt: &AttemptId) -> Result<(Attempt, Session), Refusal> {
    let found = console.core.store.reviews().case(&signed.reviewer.id, attempt).await?;
    found.ok_or(Refusal::NotFound)
}

fn waiting(attempt: &Attempt, session: &Session) -> bool {
    matches!(attempt.status, Status::Submitted | Status::Review)
        && matches!(session.status, Status::Submitted | Status::Review)
}

/// The decisions a reviewer can take on an attempt in `status`, with their
/// shortcut keys and the provider's reason codes that go with each.
fn decision_options(status: Status) -> Vec<Value> {
    let reasons = |range: std::ops::Range<i64>| -> Vec<Value> {
        REASONS
            .iter()
            .filter(|(code, _)| range.contains(code))
            .map(|(code, text)| json!({ "code": code, "text": text }))
            .collect()
    };
    let mut options = vec![
        json!({ "status": "approved", "label": "Approve", "key": "a", "reasons": [] }),
        json!({ "status": "declined", "label": "Decline", "key": "d", "reasons": reasons(100..200) }),
        json!({ "status": "resubmission_requested", "label": "Request resubmission", "key": "s",
                "reasons": reasons(200..300) }),
    ];
    // A case in review is decided for good; it cannot be sent to review again.
    if status != Status::Review {
        options.push(json!({ "status": "review", "label": "Send to review", "key": "v", "reasons": [] }));
    }
    options
}

/// `GET /console/api/cases/{attempt}`: the attempt with its media in the
/// API's order and their analyses, the session's other attempts and their
/// decisions, and what the reviewer may decide. A view of the case in the
/// audit trail.
pub async fn case(
    State(console): State<Arc<Console>>,
    Extension(signed): Extension<SignedIn>,
    Path(attempt): Path<String>,
    parts: Parts,
) -> Result<Json<Value>, Refusal> {
    let (attempt, session) = visible(&console, &signed, &AttemptId::from(attempt)).await?;
    let store = console.core.store.as_ref();
    let integration = &session.integration_id;
    let ranked = store
        .attempt_media(integration, &attempt.id)
        .await?
        .ok_or(Refusal::NotFound)?;
    let ids: Vec<MediaId> = ranked.media.iter().map(|m| m.id.clone()).collect();
    let evidence = store.evidence(integration, &ids).await?;
    let (mut images, mut videos) = (0, 0);
    let media: Vec<Value> = ranked
        .media
        .iter()
        .map(|m| {
            let rank = if m.kind == MediaKind::Image {
                &mut images
            } else {
                &mut videos
            };
            *rank += 1;
            let analysis: Value = evidence
                .get(&m.id)
                .and_then(|e| serde_json::from_str(e).ok())
                .unwrap_or_else(|| json!({}));
            json!({
                "id": m.id,
                "kind": m.kind.as_str(),
                "context": m.context,
                "mimetype": m.mimetype,
                "size": m.size,
                "width": m.width,
                "height": m.height,
                "durationMs": m.duration_ms,
                "rank": *rank,
                "accuracy": round4(m.accuracy),
                "quality": round4(m.quality),
                "matches": m.matches,
                "url": format!("/console/api/media/{}", m.id),
                "thumbnail": format!("/console/api/media/{}/thumbnail", m.id),
                "preview": format!("/console/api/media/{}/preview", m.id),
                "evidence": analysis,
            })
        })
        .collect();
    let decisions = store.reviews().session_decisions(integration, &session.id).await?;
    let mut decided: HashMap<&AttemptId, Value> = HashMap::new();
    for d in &decisions {
        decided.entry(&d.decision.attempt_id).or_insert_with(|| {
            json!({
                "status": d.decision.status.as_str(),
                "reasonCode": d.decision.reason_code,
                "reason": d.decision.reason_code.and_then(kycmedia_proto::decision::reason),
                "decidedAt": rfc3339_ms(d.decision.decided_at),
                "by": d.reviewer,
                "comment": d.decision.comment,
            })
        });
    }
    let attempts: Vec<Value> = store
        .attempts(integration, &session.id)
        .await?
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "seq": a.seq,
                "status": a.status.as_str(),
                "submittedAt": a.submitted_at.map(rfc3339_ms),
                "current": a.id == attempt.id,
                "decision": decided.get(&a.id),
            })
        })
        .collect();
    let holder = assignee(&console, &attempt.id).await?;
    let mine = holder.as_ref().is_some_and(|(id, _)| *id == signed.reviewer.id);
    let decidable = waiting(&attempt, &session) && (holder.is_none() || mine);
    let visible = store.reviews().visible_integrations(&signed.reviewer.id).await?;
    let name = visible
        .into_iter()
        .find(|(id, _)| id == integration)
        .map(|(_, name)| name);
    let action = "GET /console/api/cases/{attempt}";
    let touched = Touched::case(&session, &attempt.id);
    record(&console, Some(&signed.reviewer), &parts, action, touched, 200).await;
    Ok(Json(json!({
        "attempt": {
            "id": attempt.id,
            "seq": attempt.seq,
            "status": attempt.status.as_str(),
            "submittedAt": attempt.submitted_at.map(rfc3339_ms),
        },
        "session": {
            "id": session.id,
            "status": session.status.as_str(),
            "vendorData": session.vendor_data,
            "createdAt": rfc3339_ms(session.created_at),
            "integration": { "id": integration, "name": name },
        },
        "assignee": holder.map(|(_, name)| name),
        "assignedToMe": mine,
        "media": media,
        "attempts": attempts,
        "decisions": decision_options(attempt.status),
        "decidable": decidable,
    })))
}

/// Who holds the case: their id and name.
async fn assignee(console: &Console, attempt: &AttemptId) -> Result<Option<(crate::ids::ReviewerId, String)>, Refusal> {
    let reviews = console.core.store.reviews();
    let Some(held) = reviews.assignment(attempt).await? else {
        return Ok(None);
    };
    let name = reviews
        .reviewer(&held.reviewer_id)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    Ok(Some((held.reviewer_id, name)))
}

/// Takes a waiting case for the reviewer: `Taken` when another holds it.
async fn take(console: &Console, signed: &SignedIn, attempt: &Attempt, session: &Session) -> Result<(), Refusal> {
    if !waiting(attempt, session) {
        return Err(Refusal::Decided);
    }
    let now = crate::ids::now_ms();
    let held = console
        .core
        .store
        .reviews()
        .assign(&signed.reviewer.id, &attempt.id, now)
        .await?;
    if held.reviewer_id == signed.reviewer.id {
        Ok(())
    } else {
        let name = assignee(console, &attempt.id)
            .await?
            .map(|(_, n)| n)
            .unwrap_or_default();
        Err(Refusal::Taken(name))
    }
}

/// `POST /console/api/cases/{attempt}/assign`: `{"assignee"}`, or 409.
pub async fn assign(
    State(console): State<Arc<Console>>,
    Extension(signed): Extension<SignedIn>,
    Path(attempt): Path<String>,
    parts: Parts,
) -> Result<Json<Value>, Refusal> {
    let (attempt, session) = visible(&console, &signed, &AttemptId::from(attempt)).await?;
    let taken = take(&console, &signed, &attempt, &session).await;
    let status = if taken.is_ok() { 200 } else { 409 };
    let action = "POST /console/api/cases/{attempt}/assign";
    let touched = Touched::case(&session, &attempt.id);
    record(&console, Some(&signed.reviewer), &parts, action, touched, status).await;
    taken?;
    Ok(Json(json!({ "assignee": signed.reviewer.name })))
}

/// `POST /console/api/cases/{attempt}/release`: gives the case back; `{}`.
/// A reviewer releases their own; an admin anyone's, so that a case a
/// reviewer left does not wait for them.
pub async fn release(
    State(console): State<Arc<Console>>,
    Extension(signed): Extension<SignedIn>,
    Path(attempt): Path<String>,
    parts: Parts,
) -> Result<Json<Value>, Refusal> {
    let (attempt, session) = visible(&console, &signed, &AttemptId::from(attempt)).await?;
    let holder = (signed.role() != crate::reviewers::Role::Admin).then_some(&signed.reviewer.id);
    console.core.store.reviews().release(holder, &attempt.id).await?;
    let action = "POST /console/api/cases/{attempt}/release";
    let touched = Touched::case(&session, &attempt.id);
    record(&console, Some(&signed.reviewer), &parts, action, touched, 200).await;
    Ok(Json(json!({})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Decide {
    decision: String,
    reason_code: Option<i64>,
    comment: Option<String>,
}

/// `POST /console/api/cases/{attempt}/decision`: decides the case as
/// `kycmedia decide` does (the same checks, decision row, webhook), taking
/// it for the reviewer first; `{"status","next"}`, `next` the oldest case
/// waiting that nobody else holds.
pub async fn decide(
    State(console): State<Arc<Console>>,
    Extension(signed): Extension<SignedIn>,
    Path(attempt): Path<String>,
    parts: Parts,
    body: Bytes,
) -> Result<Json<Value>, Refusal> {
    let given: Decide = serde_json::from_slice(&body).map_err(|_| Refusal::Invalid("body"))?;
    let status = Status::parse(&given.decision)
        .filter(|s| s.is_decision() || *s == Status::Review)
        .ok_or(Refusal::Invalid("decision"))?;
    let comment = given.comment.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        return Err(Refusal::Invalid("comment"));
    }
    let (attempt, session) = visible(&console, &signed, &AttemptId::from(attempt)).await?;
    let action = "POST /console/api/cases/{attempt}/decision";
    let verdict = Verdict {
        status,
        reason_code: given.reason_code,
        by: Some(signed.reviewer.id.clone()),
        comment,
    };
    let decided = match take(&console, &signed, &attempt, &session).await {
        Ok(()) => crate::admin::decide_as(console.core.store.as_ref(), &session.id, &verdict)
            .await
            .map_err(|e| match e {
                StoreError::Invalid(_) => Refusal::Invalid("reasonCode"),
                other => Refusal::from(other),
            }),
        Err(refused) => Err(refused),
    };
    let code = match &decided {
        Ok(_) => 200,
        Err(Refusal::Invalid(_)) => 422,
        Err(Refusal::Taken(_) | Refusal::Decided) => 409,
        Err(_) => 500,
    };
    let touched = Touched::case(&session, &attempt.id);
    record(&console, Some(&signed.reviewer), &parts, action, touched, code).await;
    let decided = decided?;
    let next = next_case(&console, &signed, &attempt.id).await?;
    Ok(Json(json!({ "status": decided["status"], "next": next })))
}

/// The oldest waiting case, other than `done`, that nobody else holds.
async fn next_case(console: &Console, signed: &SignedIn, done: &AttemptId) -> Result<Option<AttemptId>, Refusal> {
    let filter = CaseFilter {
        limit: PAGE,
        ..CaseFilter::default()
    };
    let cases = console
        .core
        .store
        .reviews()
        .waiting_cases(&signed.reviewer.id, &filter)
        .await?;
    Ok(cases
        .into_iter()
        .find(|c| &c.attempt_id != done && c.assignee_id.as_ref().is_none_or(|id| *id == signed.reviewer.id))
        .map(|c| c.attempt_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_filter_takes_whole_days_and_refuses_what_it_cannot_read() {
        let query = QueueQuery {
            from: Some("2026-12-01".into()),
            to: Some("2026-12-01".into()),
            status: Some("review".into()),
            vendor_data: Some(" ".into()),
            ..QueueQuery::default()
        };
        let filter = query.filter().unwrap();
        assert_eq!(filter.submitted_from, Some(1_796_083_200_000));
        assert_eq!(filter.submitted_before, Some(1_796_083_200_000 + 86_400_000));
        assert_eq!(filter.status, Some(Status::Review));
        assert_eq!(filter.vendor_data, None);
        for bad in [
            QueueQuery {
                status: Some("approved".into()),
                ..QueueQuery::default()
            },
            QueueQuery {
                from: Some("yesterday".into()),
                ..QueueQuery::default()
            },
            QueueQuery {
                after: Some("x".into()),
                ..QueueQuery::default()
            },
        ] {
            assert!(bad.filter().is_err());
        }
    }
}
