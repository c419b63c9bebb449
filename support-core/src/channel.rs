//! Realtime channel names, as values. Pusher names private channels with a `private-` prefix;
//! Echo's `private('support.admin')` subscribes to `private-support.admin`.

use std::fmt;
use std::str::FromStr;

use crate::id::TicketId;

/// A channel the service broadcasts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Channel {
    /// `private-support.ticket.{id}`: one ticket's public conversation. The ticket's employee and
    /// staff may join; internal notes never travel here.
    Ticket(TicketId),
    /// `private-support.admin`: staff notifications (new and changed tickets, stats, every new
    /// message including internal notes). Staff only.
    Admin,
    /// `presence-support.ticket.{id}.staff`: who among staff has the ticket open, for
    /// collision control (two agents answering at once). Staff only, even the ticket's own
    /// employee is refused; members are `{name, role}`. Echo's
    /// `join('support.ticket.{id}.staff')` subscribes to it.
    TicketStaff(TicketId),
}

/// A channel name that names no channel of this service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown channel {0:?}")]
pub struct UnknownChannel(pub String);

impl Channel {
    const TICKET_PREFIX: &'static str = "private-support.ticket.";
    const ADMIN: &'static str = "private-support.admin";
    const STAFF_PREFIX: &'static str = "presence-support.ticket.";
    const STAFF_SUFFIX: &'static str = ".staff";

    /// The ticket a ticket's channel (its conversation or its staff presence) is about.
    pub fn ticket(&self) -> Option<TicketId> {
        match self {
            Channel::Ticket(id) | Channel::TicketStaff(id) => Some(*id),
            Channel::Admin => None,
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Channel::Ticket(id) => write!(f, "{}{}", Self::TICKET_PREFIX, id),
            Channel::Admin => f.write_str(Self::ADMIN),
            Channel::TicketStaff(id) => {
                write!(f, "{}{}{}", Self::STAFF_PREFIX, id, Self::STAFF_SUFFIX)
            }
        }
    }
}

impl FromStr for Channel {
    type Err = UnknownChannel;
    /// Parses the full Pusher name (`private-support.ticket.42`,
    /// `presence-support.ticket.42.staff`). The id must be canonical decimal (no sign, no
    /// leading zeros), so one channel has exactly one name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == Self::ADMIN {
            return Ok(Channel::Admin);
        }
        if let Some(rest) = s.strip_prefix(Self::STAFF_PREFIX) {
            let digits = rest
                .strip_suffix(Self::STAFF_SUFFIX)
                .ok_or_else(|| UnknownChannel(s.to_owned()))?;
            return ticket_id(digits, s).map(Channel::TicketStaff);
        }
        let digits = s
            .strip_prefix(Self::TICKET_PREFIX)
            .ok_or_else(|| UnknownChannel(s.to_owned()))?;
        ticket_id(digits, s).map(Channel::Ticket)
    }
}

/// A ticket id written in canonical decimal, or the name `s` it came from as unknown.
fn ticket_id(digits: &str, s: &str) -> Result<TicketId, UnknownChannel> {
    let unknown = || UnknownChannel(s.to_owned());
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !(digits.len() > 1 && digits.starts_with('0'));
    if !canonical {
        return Err(unknown());
    }
    digits.parse().map(TicketId).map_err(|_| unknown())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in [
            Channel::Admin,
            Channel::Ticket(TicketId(7)),
            Channel::TicketStaff(TicketId(7)),
        ] {
            assert_eq!(c.to_string().parse::<Channel>().unwrap(), c);
        }
        assert_eq!(
            Channel::Ticket(TicketId(7)).to_string(),
            "private-support.ticket.7"
        );
        assert_eq!(
            Channel::TicketStaff(TicketId(7)).to_string(),
            "presence-support.ticket.7.staff"
        );
    }

    #[test]
    fn non_canonical_names_are_refused() {
        for bad in [
            "support.admin",
            "private-support.ticket.",
            "private-support.ticket.07",
            "private-support.ticket.-1",
            "private-support.ticket.1.staff",
            "private-support.ticket.99999999999999999999",
            "presence-support.admin",
            "presence-support.ticket.7",
            "presence-support.ticket.07.staff",
            "presence-support.ticket..staff",
            "presence-support.ticket.-7.staff",
            "presence-support.ticket.7.staff.staff",
            "presence-support.ticket.7.Staff",
            "private-support.ticket.7.staff",
            "support.ticket.7.staff",
        ] {
            assert!(bad.parse::<Channel>().is_err(), "{bad} accepted");
        }
    }
}
