//! The `check_*` rules, one per command, shared by `decide` and by the
//! list of next actions; and the scope of each side.

use super::*;

impl Request {
    pub(super) fn patronato_side(&self, actor: &Actor) -> Result<(), RuleViolation> {
        match actor {
            Actor::Patronato(_) => Ok(()),
            _ => Err(RuleViolation::NotAllowedForRole),
        }
    }

    pub(super) fn sede_side(&self, actor: &Actor) -> Result<crate::ids::SedeCode, RuleViolation> {
        match actor {
            Actor::Sede(o) => Ok(o.sede.clone()),
            _ => Err(RuleViolation::NotAllowedForRole),
        }
    }

    pub(crate) fn check_open(&self) -> Result<(), RuleViolation> {
        if self.is_closed() {
            Err(RuleViolation::Closed)
        } else {
            Ok(())
        }
    }

    pub(crate) fn check_add_attachments(&self, adding: usize) -> Result<(), RuleViolation> {
        self.check_open()?;
        let held = self.attachments.iter().filter(|a| !a.removed).count();
        if adding > 0 && held + adding > MAX_ATTACHMENTS {
            return Err(RuleViolation::TooManyAttachments {
                max: MAX_ATTACHMENTS,
            });
        }
        Ok(())
    }

    /// Whether `actor` may remove this attachment now (decision R6): a
    /// patronato attachment the sede has not acted after. The detail asks it
    /// of each attachment, the command of the one it removes.
    pub fn check_remove_attachment(
        &self,
        actor: &Actor,
        attachment_id: AttachmentId,
    ) -> Result<(), RuleViolation> {
        if !self.visible_to(actor) {
            return Err(RuleViolation::NotFound);
        }
        self.patronato_side(actor)?;
        self.check_open()?;
        let held = self
            .attachments
            .iter()
            .find(|a| a.attachment.id == attachment_id && !a.removed)
            .ok_or(RuleViolation::AttachmentNotFound)?;
        if held.side != Side::Patronato || held.added_in_version <= self.last_sede_action_version {
            return Err(RuleViolation::AttachmentNotRemovable);
        }
        Ok(())
    }

    pub(crate) fn check_take_in_charge(&self) -> Result<(), RuleViolation> {
        self.check_open()?;
        if self.in_charge_by.is_some() {
            return Err(RuleViolation::AlreadyInCharge);
        }
        Ok(())
    }

    pub(crate) fn check_reply(&self) -> Result<(), RuleViolation> {
        self.check_open()?;
        if self.awaiting_reply_since.is_none() {
            return Err(RuleViolation::NothingToReply);
        }
        Ok(())
    }

    /// The follow-up rule: only after the sede answered the previous
    /// communication, and at most 2 after the first reply. Returns the number
    /// the new interaction would get.
    pub(crate) fn check_send_message(&self) -> Result<u8, RuleViolation> {
        self.check_open()?;
        if self.replies == 0 {
            return Err(RuleViolation::NoReplyYet);
        }
        if self.awaiting_reply_since.is_some() {
            return Err(RuleViolation::AwaitingSedeReply);
        }
        if self.interactions_used >= MAX_FURTHER_INTERACTIONS {
            return Err(RuleViolation::InteractionsExhausted {
                max: MAX_FURTHER_INTERACTIONS,
            });
        }
        Ok(self.interactions_used + 1)
    }

    /// The first instant a sollecito is allowed: 15 days after the
    /// patronato's last communication still awaiting an answer (the request,
    /// or a follow-up the sede has not answered), and 15 days after the
    /// previous sollecito. `None` when nothing awaits an answer. A follow-up
    /// the sede never answers thus leaves a way forward (decision in
    /// docs/decisions.md: a conversation never stalls).
    pub fn sollecito_available_from(&self) -> Option<Timestamp> {
        let waiting = self.awaiting_reply_since?;
        let after_wait = waiting + standard_response_time();
        Some(match self.last_sollecito_at {
            Some(prev) => after_wait.max(prev + standard_response_time()),
            None => after_wait,
        })
    }

    pub(crate) fn check_sollecito(&self, now: Timestamp) -> Result<(), RuleViolation> {
        self.check_open()?;
        match self.sollecito_available_from() {
            None => Err(RuleViolation::SollecitoAfterReply),
            Some(from) if now < from => Err(RuleViolation::SollecitoTooEarly {
                available_from: from,
            }),
            Some(_) => Ok(()),
        }
    }

    pub(crate) fn check_enable_appointment(&self) -> Result<(), RuleViolation> {
        self.check_open()?;
        if self.appointment_enabled {
            return Err(RuleViolation::AppointmentAlreadyEnabled);
        }
        Ok(())
    }

    /// Whether an appointment may be booked now, and on which ground
    /// (the first that applies). `Err` carries, when waiting would help, the
    /// instant the 15-day ground opens.
    ///
    /// - (a) the patronato's last communication has awaited an answer for
    ///   *more than* 15 days (manual §3.3: "da più di 15 giorni"): from the
    ///   first whole minute after the 15 × 24 h;
    /// - (b) the sede enabled it;
    /// - (c) the conversation cannot continue: closed, or the 2 further
    ///   interactions used up *and answered* (while the sede can still answer
    ///   the last follow-up, the conversation goes on).
    pub fn appointment_ground(
        &self,
        now: Timestamp,
    ) -> Result<AppointmentGround, Option<Timestamp>> {
        let follow_ups_over = self.interactions_used >= MAX_FURTHER_INTERACTIONS
            && self.awaiting_reply_since.is_none();
        if self.is_closed() || follow_ups_over {
            return Ok(AppointmentGround::ConversationOver);
        }
        if self.appointment_enabled {
            return Ok(AppointmentGround::EnabledBySede);
        }
        let Some(waiting) = self.awaiting_reply_since else {
            return Err(None);
        };
        let opens = first_minute_after(waiting + standard_response_time());
        if now >= opens {
            Ok(AppointmentGround::NoReplyWithinStandard)
        } else {
            Err(Some(opens))
        }
    }

    /// Whether the patronato may book an appointment now (SPEC §2.4): one of
    /// the three grounds holds and no appointment is pending (a past one does
    /// not count). Returns the ground the booking will record.
    pub fn check_book_appointment(
        &self,
        now: Timestamp,
    ) -> Result<AppointmentGround, RuleViolation> {
        if self.appointment.as_ref().is_some_and(|a| now < a.slot.end) {
            return Err(RuleViolation::AppointmentAlreadyBooked);
        }
        self.appointment_ground(now)
            .map_err(|available_from| RuleViolation::AppointmentNotEligible { available_from })
    }

    /// Follow-up messages still allowed after the first reply.
    pub fn interactions_left(&self) -> u8 {
        MAX_FURTHER_INTERACTIONS.saturating_sub(self.interactions_used)
    }

    /// Attachments still held (not removed).
    pub fn held_attachments(&self) -> impl Iterator<Item = &AttachmentRef> {
        self.attachments
            .iter()
            .filter(|a| !a.removed)
            .map(|a| &a.attachment)
    }
}

/// The first whole minute strictly after `t`: "more than 15 days" as the
/// screens show time, to the minute.
fn first_minute_after(t: Timestamp) -> Timestamp {
    use chrono::{DurationRound, TimeDelta};
    let minute = TimeDelta::minutes(1);
    t.duration_trunc(minute).unwrap_or(t) + minute
}
