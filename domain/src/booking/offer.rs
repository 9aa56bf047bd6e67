//! What a counter offers the citizen who confirms a booking (seed 002):
//! the services of its type ("Scegli il servizio richiesto") and whether its
//! sede pilots the web meeting. Both are reference data, passed in.

use super::contact::BookingMode;
use super::violation::BookingViolation;
use serde::{Deserialize, Serialize};

/// A service of the catalogue, recorded on the booking as it was named when
/// booked (a later rename of the catalogue does not rewrite history).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RequestedService {
    pub code: String,
    pub name: String,
}

/// The offer of one counter of one sede.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CounterOffer {
    pub services: Vec<RequestedService>,
    /// The sede is one of the web meeting pilot's.
    pub web_meeting: bool,
}

impl CounterOffer {
    /// Checks the chosen mode and service against the offer. The service is
    /// optional (older clients do not send it); when given it must be one of
    /// the counter's.
    pub fn choose(
        &self,
        mode: BookingMode,
        service: Option<&str>,
    ) -> Result<Option<RequestedService>, BookingViolation> {
        if mode == BookingMode::WebMeeting && !self.web_meeting {
            return Err(BookingViolation::WebMeetingNotOffered);
        }
        let Some(code) = service.map(str::trim).filter(|c| !c.is_empty()) else {
            return Ok(None);
        };
        self.services
            .iter()
            .find(|s| s.code == code)
            .cloned()
            .map(Some)
            .ok_or(BookingViolation::ServiceUnknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(web_meeting: bool) -> CounterOffer {
        CounterOffer {
            services: vec![RequestedService {
                code: "rata_pensione".into(),
                name: "Rata pensione".into(),
            }],
            web_meeting,
        }
    }

    #[test]
    fn web_meeting_only_where_the_sede_pilots_it() {
        assert_eq!(
            offer(false).choose(BookingMode::WebMeeting, None),
            Err(BookingViolation::WebMeetingNotOffered)
        );
        assert_eq!(offer(true).choose(BookingMode::WebMeeting, None), Ok(None));
        assert_eq!(offer(false).choose(BookingMode::InPresenza, None), Ok(None));
    }

    #[test]
    fn a_service_must_be_the_counters() {
        let chosen = offer(false)
            .choose(BookingMode::InPresenza, Some("rata_pensione"))
            .unwrap();
        assert_eq!(chosen.map(|s| s.name), Some("Rata pensione".to_string()));
        assert_eq!(
            offer(false).choose(BookingMode::InPresenza, Some("naspi")),
            Err(BookingViolation::ServiceUnknown)
        );
        assert_eq!(
            offer(false).choose(BookingMode::InPresenza, Some("  ")),
            Ok(None)
        );
    }
}
