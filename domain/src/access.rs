//! Who may see what on the read side, and which sede an officer acts for:
//! pure rules beside `Request::visible_to`, so handlers only extract, call
//! and map. A refusal says whether the thing stays hidden (answered as not
//! found, and logged by the caller) or the role may not ask at all.

use crate::actor::{Actor, PatronatoRole, SedeOfficer};
use crate::ids::{OfficeId, PatronatoId, RequestId, SedeCode, UserId};

/// Why a read or an action outside the caller's scope is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Outside the caller's scope: it does not exist for them (404, never 403).
    OutOfScope,
    /// The caller's role may not ask this at all (403).
    Forbidden,
}

/// The officer of `sede`: another sede's officer meets [`Refusal::OutOfScope`],
/// other roles [`Refusal::Forbidden`].
pub fn officer_of<'a>(actor: &'a Actor, sede: &SedeCode) -> Result<&'a SedeOfficer, Refusal> {
    match actor {
        Actor::Sede(o) if &o.sede == sede => Ok(o),
        Actor::Sede(_) => Err(Refusal::OutOfScope),
        _ => Err(Refusal::Forbidden),
    }
}

/// Which requests a patronato user asks to list ("Storico").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryAsked {
    /// Only those they created.
    Mine,
    /// Their office's; the whole patronato for an administrator.
    Office,
}

/// The requests a history lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryScope {
    Mine {
        patronato: PatronatoId,
        user: UserId,
    },
    Office {
        patronato: PatronatoId,
        office: OfficeId,
    },
    Patronato {
        patronato: PatronatoId,
    },
}

/// The history of a patronato user; other roles have none.
pub fn history_scope(actor: &Actor, asked: HistoryAsked) -> Result<HistoryScope, Refusal> {
    let user = actor.patronato_user().ok_or(Refusal::Forbidden)?;
    let patronato = user.patronato.clone();
    Ok(match asked {
        HistoryAsked::Mine => HistoryScope::Mine {
            patronato,
            user: user.id.clone(),
        },
        HistoryAsked::Office if user.role == PatronatoRole::Admin => {
            HistoryScope::Patronato { patronato }
        }
        HistoryAsked::Office => HistoryScope::Office {
            patronato,
            office: user.office.clone(),
        },
    })
}

/// What statistics are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatisticsDimension {
    User,
    Office,
    Patronato,
    Sede,
    Region,
}

/// The rows of statistics a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatisticsScope {
    pub dimension: StatisticsDimension,
    /// One key of the dimension; `None`: every key.
    pub key: Option<String>,
    /// Only requests of this patronato.
    pub patronato: Option<String>,
}

/// Patronato users see themselves and their office (administrators the whole
/// patronato), sede officers their sede, analysts everything but people (a
/// user id names its operator, decision S5). A key outside the caller's scope
/// is hidden; a dimension outside it is forbidden.
pub fn statistics_scope(
    actor: &Actor,
    asked: Option<StatisticsDimension>,
    value: Option<&str>,
) -> Result<StatisticsScope, Refusal> {
    use StatisticsDimension as D;
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    let own = |mine: &str| -> Result<Option<String>, Refusal> {
        match value {
            None => Ok(Some(mine.to_string())),
            Some(v) if v == mine => Ok(Some(v.to_string())),
            Some(_) => Err(Refusal::OutOfScope),
        }
    };
    let scope = |dimension, key, patronato| StatisticsScope {
        dimension,
        key,
        patronato,
    };
    match actor {
        Actor::Patronato(u) => {
            let admin = u.role == PatronatoRole::Admin;
            let dimension = asked.unwrap_or(if admin { D::Patronato } else { D::User });
            let key = match dimension {
                D::User | D::Office if admin => value.map(str::to_string),
                D::User => own(u.id.as_str())?,
                D::Office => own(u.office.as_str())?,
                D::Patronato if admin => own(u.patronato.as_str())?,
                _ => return Err(Refusal::Forbidden),
            };
            Ok(scope(dimension, key, Some(u.patronato.to_string())))
        }
        Actor::Sede(o) => match asked.unwrap_or(D::Sede) {
            D::Sede => Ok(scope(D::Sede, own(o.sede.as_str())?, None)),
            _ => Err(Refusal::Forbidden),
        },
        Actor::Analyst { .. } => match asked.unwrap_or(D::Region) {
            D::User => Err(Refusal::Forbidden),
            dimension => Ok(scope(dimension, value.map(str::to_string), None)),
        },
        _ => Err(Refusal::Forbidden),
    }
}

/// What the visibility rule needs to know of a booking.
#[derive(Debug, Clone, Copy)]
pub struct BookingHolders<'a> {
    /// The citizen it was booked for (absent for an appointment on a request).
    pub codice_fiscale: Option<&'a str>,
    pub sede: &'a str,
    /// The request of an appointment booked by a patronato.
    pub request_id: Option<RequestId>,
}

/// Whether an authenticated caller sees a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingSight {
    Visible,
    Hidden,
    /// As the request is visible to them (`Request::visible_to`).
    AsRequest(RequestId),
}

/// The citizen sees their own bookings, an officer their sede's, a patronato
/// user those on requests they see; nobody else.
pub fn booking_sight(actor: &Actor, booking: BookingHolders<'_>) -> BookingSight {
    let seen = match actor {
        Actor::Citizen { id } => booking.codice_fiscale == Some(id.as_str()),
        Actor::Sede(o) => booking.sede == o.sede.as_str(),
        Actor::Patronato(_) => {
            return booking
                .request_id
                .map_or(BookingSight::Hidden, BookingSight::AsRequest)
        }
        _ => false,
    };
    if seen {
        BookingSight::Visible
    } else {
        BookingSight::Hidden
    }
}

#[cfg(test)]
mod tests;
