//! Reactions on messages: one emoji per reaction, toggled per user, counted per message.
//!
//! A reaction is `(message, user, emoji)`: a user adds an emoji to a message once, and removes
//! it again; the message shows each emoji with how many reacted with it and whether the viewer
//! did ([`Reaction`]). Whoever may see a message may react to it, and nobody else: an employee
//! can neither react to an internal note nor learn the reactions on one.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{MessageId, TicketId, UserId};
use crate::time::Timestamp;

/// One reaction's emoji: one emoji of the Unicode emoji list (👍, 👍🏽, 👩‍💻, 🇫🇷 …), kept in its
/// fully-qualified form, so that `❤` and `❤️`, or `👍` and `👍️`, are one reaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, example = "👍"))]
#[serde(try_from = "String", into = "String")]
pub struct Emoji(String);

impl Emoji {
    /// Checks `s` (trimmed) is one emoji and gives its fully-qualified form; the error names
    /// the field `emoji`.
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Error::invalid("emoji", "The emoji field is required."));
        }
        emojis::get(s)
            .map(|e| Emoji(e.as_str().to_owned()))
            .ok_or_else(|| Error::invalid("emoji", "The emoji must be one emoji."))
    }

    /// The emoji itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Emoji {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Emoji::parse(&s)
    }
}

impl From<Emoji> for String {
    fn from(e: Emoji) -> String {
        e.0
    }
}

impl std::fmt::Display for Emoji {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The most different emoji one user may put on one message.
pub const MAX_PER_USER: u32 = 20;

/// A user adding or removing an emoji on a message, as a store applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionChange {
    /// The message's ticket.
    pub ticket_id: TicketId,
    /// The message.
    pub message_id: MessageId,
    /// Who reacts.
    pub by: crate::draft::Author,
    /// With what.
    pub emoji: Emoji,
    /// True to add the reaction, false to remove it.
    pub add: bool,
    /// When (for an added reaction).
    pub at: Timestamp,
}

impl ReactionChange {
    /// What the store records in the audit log when the change did something, in its
    /// transaction.
    pub fn audit_record(&self) -> crate::audit::NewAuditRecord {
        use crate::audit::Action;
        let (message_id, emoji) = (self.message_id, self.emoji.clone());
        crate::audit::NewAuditRecord {
            ticket_id: Some(self.ticket_id),
            actor_id: Some(self.by.id),
            actor_name: self.by.name.clone(),
            action: if self.add {
                Action::ReactionAdded { message_id, emoji }
            } else {
                Action::ReactionRemoved { message_id, emoji }
            },
            origin: self.by.origin,
            at: self.at,
        }
    }
}

/// What a [`ReactionChange`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactionOutcome {
    /// The reaction was added or removed; the emoji's count on the message is now this.
    Changed(u32),
    /// It was already so (added twice, or removing one that is not there); the count is this.
    Unchanged(u32),
    /// Adding it would give the user more than [`MAX_PER_USER`] emoji on the message: nothing
    /// was written.
    TooMany,
}

/// One emoji on a message as a viewer sees it: `{emoji, count, mine}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reaction {
    /// The emoji.
    pub emoji: Emoji,
    /// How many users reacted with it.
    pub count: u32,
    /// Whether the viewer is one of them.
    pub mine: bool,
}

/// A message's reactions as a store reports them for a viewer ([`crate::SupportStore::reactions`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageReactions {
    /// The message.
    pub message_id: MessageId,
    /// Its emoji, in the order each was first used on it.
    pub reactions: Vec<Reaction>,
}

/// The `message.reaction` payload: `{ticket_id, message_id, emoji, count, user_id, added}`,
/// the emoji's new count after `user_id` added (or removed) it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionCount {
    /// The ticket.
    pub ticket_id: TicketId,
    /// The message.
    pub message_id: MessageId,
    /// The emoji.
    pub emoji: Emoji,
    /// How many users reacted with it now.
    pub count: u32,
    /// Who changed it: a page uses it to set `mine` for its own user.
    pub user_id: UserId,
    /// True if they added it, false if they removed it.
    pub added: bool,
}

/// Groups `(message, emoji, user)` rows, in the order the reactions were made, into each
/// message's [`Reaction`]s for `viewer`: the reference semantics every store's
/// [`crate::SupportStore::reactions`] follows.
pub fn summarize(
    rows: impl IntoIterator<Item = (MessageId, Emoji, UserId)>,
    viewer: UserId,
) -> Vec<MessageReactions> {
    let mut out: Vec<MessageReactions> = Vec::new();
    for (message_id, emoji, user) in rows {
        let i = match out.iter().position(|m| m.message_id == message_id) {
            Some(i) => i,
            None => {
                out.push(MessageReactions {
                    message_id,
                    reactions: Vec::new(),
                });
                out.len() - 1
            }
        };
        let list = &mut out[i].reactions;
        match list.iter_mut().find(|r| r.emoji == emoji) {
            Some(r) => {
                r.count += 1;
                r.mine |= user == viewer;
            }
            None => list.push(Reaction {
                emoji,
                count: 1,
                mine: user == viewer,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_emoji_is_accepted_whatever_its_length() {
        for ok in ["👍", "👍🏽", "👩‍💻", "🇫🇷", "❤️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", " 🎉 ", "1️⃣"]
        {
            assert_eq!(Emoji::parse(ok).unwrap().as_str(), ok.trim(), "{ok:?}");
        }
    }

    #[test]
    fn one_emoji_written_two_ways_is_one_reaction() {
        let e = |s: &str| Emoji::parse(s).unwrap();
        assert_eq!(e("\u{1F44D}\u{FE0F}"), e("\u{1F44D}"));
        assert_eq!(e("\u{2764}"), e("\u{2764}\u{FE0F}"));
        assert_eq!(e("\u{2764}").as_str(), "\u{2764}\u{FE0F}");
    }

    #[test]
    fn anything_but_one_emoji_is_refused_on_the_emoji_field() {
        for bad in [
            "",
            " ",
            "a",
            "7",
            "👍👍",
            "ok",
            "\u{7}",
            "👍 👎",
            "\u{200b}",
            "é",
            "\u{2713}",
            "\u{FE0F}",
        ] {
            let e = Emoji::parse(bad).unwrap_err();
            let Error::Invalid(f) = e else {
                panic!("{bad:?}: {e:?}")
            };
            assert!(f.get("emoji").is_some(), "{bad:?}");
        }
    }

    #[test]
    fn summaries_count_each_emoji_and_mark_the_viewers() {
        let e = |s: &str| Emoji::parse(s).unwrap();
        let rows = vec![
            (MessageId(1), e("👍"), UserId(7)),
            (MessageId(2), e("🎉"), UserId(8)),
            (MessageId(1), e("👍"), UserId(8)),
            (MessageId(1), e("👀"), UserId(9)),
        ];
        let s = summarize(rows, UserId(8));
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].message_id, MessageId(1));
        assert_eq!(
            s[0].reactions,
            vec![
                Reaction {
                    emoji: e("👍"),
                    count: 2,
                    mine: true
                },
                Reaction {
                    emoji: e("👀"),
                    count: 1,
                    mine: false
                }
            ]
        );
        assert!(s[1].reactions[0].mine);
    }
}
