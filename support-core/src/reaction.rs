//! Reactions on messages: one emoji per reaction, toggled per user, counted per message.
//!
//! A reaction is `(message, user, emoji)`: a user adds an emoji to a message once, and removes
//! it again; the message shows each emoji with how many reacted with it and whether the viewer
//! did ([`Reaction`]). Whoever may see a message may react to it, and nobody else: an employee
//! can neither react to an internal note nor learn the reactions on one.

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use crate::error::{Error, Result};
use crate::id::{MessageId, TicketId, UserId};
use crate::time::Timestamp;

/// One reaction's emoji: a single grapheme (a character or an emoji sequence such as 👍🏽 or
/// 👩‍💻), not a letter, digit, space or control character.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, example = "👍"))]
#[serde(try_from = "String", into = "String")]
pub struct Emoji(String);

impl Emoji {
    /// The longest emoji in bytes: room for the longest sequences in use (tag flags such as
    /// 🏴󠁧󠁢󠁳󠁣󠁴󠁿 are 28 bytes; family sequences with skin tones about 40).
    pub const MAX_BYTES: usize = 64;

    /// Checks `s` (trimmed) is one grapheme that can be an emoji; the error names the field
    /// `emoji`.
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim();
        let refuse = |why: &str| Err(Error::invalid("emoji", why));
        if s.is_empty() {
            return refuse("The emoji field is required.");
        }
        if s.len() > Self::MAX_BYTES {
            return refuse("The emoji must be one emoji.");
        }
        let mut graphemes = s.graphemes(true);
        if graphemes.next().is_none() || graphemes.next().is_some() {
            return refuse("The emoji must be one emoji.");
        }
        let blank = |c: char| c.is_whitespace() || c.is_control();
        let first = s
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || invisible(c));
        if first || s.chars().any(blank) {
            return refuse("The emoji must be one emoji.");
        }
        Ok(Emoji(s.to_owned()))
    }

    /// The emoji itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Characters that show nothing on their own: zero-width spaces and joiners, bidirectional
/// marks, word joiners, the byte-order mark, variation selectors and tag characters. Emoji
/// sequences use some of them inside, never first.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{E0000}'..='\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}')
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
    pub user_id: UserId,
    /// With what.
    pub emoji: Emoji,
    /// True to add the reaction, false to remove it.
    pub add: bool,
    /// When (for an added reaction).
    pub at: Timestamp,
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
        for ok in ["👍", "👍🏽", "👩‍💻", "🇫🇷", "❤️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", " 🎉 ", "✓"]
        {
            assert_eq!(Emoji::parse(ok).unwrap().as_str(), ok.trim(), "{ok:?}");
        }
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
