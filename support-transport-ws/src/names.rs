//! Channel and event names: what Pusher accepts, and what kind of channel a name is.

/// The longest channel name (Pusher: 164 characters).
pub const MAX_CHANNEL_NAME: usize = 164;
/// The longest event name (Pusher: 200 characters).
pub const MAX_EVENT_NAME: usize = 200;

/// What a channel's name prefix makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// No prefix: anyone may subscribe.
    Public,
    /// `private-`: a signature from the auth endpoint is needed.
    Private,
    /// `presence-`: signed, and members are announced to each other.
    Presence,
    /// `private-encrypted-`: end-to-end encrypted channels, which this server does not offer.
    Encrypted,
}

impl ChannelKind {
    /// True for private and presence channels: the ones that need a signature and accept
    /// client events.
    pub fn is_authenticated(self) -> bool {
        matches!(self, ChannelKind::Private | ChannelKind::Presence)
    }
}

/// The kind of a valid channel name, or `None` if Pusher would refuse the name.
pub fn channel_kind(name: &str) -> Option<ChannelKind> {
    let valid = !name.is_empty()
        && name.len() <= MAX_CHANNEL_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-=@,.;".contains(&b));
    if !valid {
        return None;
    }
    Some(if name.starts_with("private-encrypted-") {
        ChannelKind::Encrypted
    } else if name.starts_with("private-") {
        ChannelKind::Private
    } else if name.starts_with("presence-") {
        ChannelKind::Presence
    } else {
        ChannelKind::Public
    })
}

/// True for an event name the HTTP API may trigger: not empty, at most 200 characters, and not
/// in the reserved `pusher:` / `pusher_internal:` namespaces.
pub fn valid_api_event(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_EVENT_NAME
        && !name.starts_with("pusher:")
        && !name.starts_with("pusher_internal:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_prefixes() {
        assert_eq!(channel_kind("chat"), Some(ChannelKind::Public));
        assert_eq!(
            channel_kind("private-support.ticket.1"),
            Some(ChannelKind::Private)
        );
        assert_eq!(channel_kind("presence-room"), Some(ChannelKind::Presence));
        assert_eq!(
            channel_kind("private-encrypted-x"),
            Some(ChannelKind::Encrypted)
        );
    }

    #[test]
    fn bad_names_are_refused() {
        assert_eq!(channel_kind(""), None);
        assert_eq!(channel_kind("has space"), None);
        assert_eq!(channel_kind("ünïcode"), None);
        assert_eq!(channel_kind(&"a".repeat(165)), None);
        assert!(channel_kind(&"a".repeat(164)).is_some());
    }
}
