//! Reactions: toggled per user, counted per emoji, kept to their message and ticket, bounded
//! per user, and never reaching an employee from an internal note.

use super::*;
use crate::reaction::{Emoji, MAX_PER_USER, Reaction, ReactionChange, ReactionOutcome};

fn emoji(s: &str) -> Emoji {
    Emoji::parse(s).unwrap()
}

fn change(who: &Actor, m: &Message, e: &str, add: bool) -> ReactionChange {
    ReactionChange {
        ticket_id: m.ticket_id,
        message_id: m.id,
        by: crate::store::Author::of(who),
        emoji: emoji(e),
        add,
        at: time::now(),
    }
}

async fn shown(store: &Store, m: &Message, viewer: &Actor) -> Vec<Reaction> {
    let mut found = store
        .reactions(m.ticket_id, &[m.id], viewer.id)
        .await
        .unwrap();
    match found.len() {
        0 => Vec::new(),
        1 => found.remove(0).reactions,
        n => panic!("{n} entries for one message"),
    }
}

fn r(e: &str, count: u32, mine: bool) -> Reaction {
    Reaction {
        emoji: emoji(e),
        count,
        mine,
    }
}

pub async fn reactions_toggle_per_user_and_are_counted_per_emoji(store: Store) {
    let f = Fixture::new(store.clone());
    let t = f.ticket(&f.alice, "reactions", Priority::Medium).await;
    let m = f.say(&f.alice, t.id, "thanks!").await;
    let react = |who: &Actor, e: &str, add: bool| {
        let c = change(who, &m, e, add);
        let store = store.clone();
        async move { store.react(&c).await.unwrap() }
    };

    assert_eq!(
        react(&f.sam, "👍", true).await,
        Some(ReactionOutcome::Changed(1))
    );
    assert_eq!(
        react(&f.sam, "👍", true).await,
        Some(ReactionOutcome::Unchanged(1)),
        "adding twice is once"
    );
    assert_eq!(
        react(&f.alice, "👍", true).await,
        Some(ReactionOutcome::Changed(2))
    );
    assert_eq!(
        react(&f.alice, "🎉", true).await,
        Some(ReactionOutcome::Changed(1))
    );
    // In the order each emoji was first used, with the viewer's own marked.
    assert_eq!(
        shown(&store, &m, &f.alice).await,
        vec![r("👍", 2, true), r("🎉", 1, true)]
    );
    assert_eq!(
        shown(&store, &m, &f.sam).await,
        vec![r("👍", 2, true), r("🎉", 1, false)]
    );
    assert_eq!(
        shown(&store, &m, &f.ada).await,
        vec![r("👍", 2, false), r("🎉", 1, false)]
    );

    assert_eq!(
        react(&f.sam, "👍", false).await,
        Some(ReactionOutcome::Changed(1))
    );
    assert_eq!(
        react(&f.sam, "👍", false).await,
        Some(ReactionOutcome::Unchanged(1)),
        "removing what is not there changes nothing"
    );
    assert_eq!(
        react(&f.alice, "🎉", false).await,
        Some(ReactionOutcome::Changed(0))
    );
    assert_eq!(shown(&store, &m, &f.sam).await, vec![r("👍", 1, false)]);
    // A skin tone is another emoji.
    assert_eq!(
        react(&f.sam, "👍🏽", true).await,
        Some(ReactionOutcome::Changed(1))
    );
    assert_eq!(
        shown(&store, &m, &f.sam).await,
        vec![r("👍", 1, false), r("👍🏽", 1, true)]
    );
}

pub async fn reactions_belong_to_their_message_and_ticket(store: Store) {
    let f = Fixture::new(store.clone());
    let t1 = f.ticket(&f.alice, "one", Priority::Medium).await;
    let t2 = f.ticket(&f.bob, "two", Priority::Medium).await;
    let a = f.say(&f.alice, t1.id, "a").await;
    let b = f.say(&f.alice, t1.id, "b").await;
    let c = f.say(&f.bob, t2.id, "c").await;
    assert!(
        store
            .react(&change(&f.sam, &a, "👀", true))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .react(&change(&f.sam, &c, "👀", true))
            .await
            .unwrap()
            .is_some()
    );

    // Message `c` through ticket t1: no such message there, nothing written.
    let mut wrong = change(&f.sam, &c, "🎉", true);
    wrong.ticket_id = t1.id;
    assert_eq!(store.react(&wrong).await.unwrap(), None);
    let mut unknown = change(&f.sam, &a, "🎉", true);
    unknown.message_id = MessageId(c.id.get().max(b.id.get()) + 1000);
    assert_eq!(store.react(&unknown).await.unwrap(), None);

    let found = store
        .reactions(t1.id, &[a.id, b.id, c.id], f.sam.id)
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "only `a` has reactions on t1: {found:?}");
    assert_eq!(found[0].message_id, a.id);
    assert_eq!(found[0].reactions, vec![r("👀", 1, true)]);
    assert_eq!(shown(&store, &b, &f.sam).await, Vec::new());
    assert!(
        store
            .reactions(t1.id, &[], f.sam.id)
            .await
            .unwrap()
            .is_empty(),
        "no messages asked, none answered"
    );
}

pub async fn one_user_may_put_only_so_many_emoji_on_a_message(store: Store) {
    let f = Fixture::new(store.clone());
    let t = f.ticket(&f.alice, "many", Priority::Medium).await;
    let m = f.say(&f.alice, t.id, "react to me").await;
    let pool: Vec<String> = ('😀'..)
        .take(MAX_PER_USER as usize + 1)
        .map(String::from)
        .collect();
    for e in &pool[..MAX_PER_USER as usize] {
        assert_eq!(
            store.react(&change(&f.sam, &m, e, true)).await.unwrap(),
            Some(ReactionOutcome::Changed(1))
        );
    }
    let last = &pool[MAX_PER_USER as usize];
    assert_eq!(
        store.react(&change(&f.sam, &m, last, true)).await.unwrap(),
        Some(ReactionOutcome::TooMany)
    );
    assert_eq!(shown(&store, &m, &f.sam).await.len(), MAX_PER_USER as usize);
    // Someone else may still use it, and the first user after removing one of theirs.
    assert_eq!(
        store.react(&change(&f.ada, &m, last, true)).await.unwrap(),
        Some(ReactionOutcome::Changed(1))
    );
    store
        .react(&change(&f.sam, &m, &pool[0], false))
        .await
        .unwrap();
    assert_eq!(
        store.react(&change(&f.sam, &m, last, true)).await.unwrap(),
        Some(ReactionOutcome::Changed(2))
    );
}

pub async fn concurrent_reactions_lose_no_count(store: Store) {
    let f = Fixture::new(store.clone());
    let t = f.ticket(&f.alice, "busy", Priority::Medium).await;
    let m = f.say(&f.alice, t.id, "everyone agrees").await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            let mut c = change(&f.sam, &m, "👍", true);
            c.by.id = UserId(1000 + i);
            tokio::spawn(async move { store.react(&c).await.unwrap() })
        })
        .collect();
    let mut counts = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Some(ReactionOutcome::Changed(n)) => counts.push(n),
            other => panic!("{other:?}"),
        }
    }
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=8).collect::<Vec<u32>>(),
        "each add saw the ones before it"
    );
    assert_eq!(shown(&store, &m, &f.alice).await, vec![r("👍", 8, false)]);
}

pub async fn reactions_on_notes_stay_with_staff(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "notes", Priority::Medium).await;
    let public = f.say(&f.alice, t.id, "hello").await;
    let note = f.note(&f.sam, t.id, "SECRET").await;
    let mut ticket_channel = f.hub.subscribe(Channel::Ticket(t.id), None);
    let mut staff = f.hub.subscribe(Channel::Admin, None);
    let ctx = WriteContext::default();
    let thumbs = emoji("👍");

    // An employee can neither react to a note nor to another employee's ticket.
    let r1 = f
        .service
        .react(&f.alice, t.id, note.id, thumbs.clone(), true, &ctx)
        .await;
    assert!(is_not_found(r1));
    let r2 = f
        .service
        .react(&f.bob, t.id, public.id, thumbs.clone(), true, &ctx)
        .await;
    assert!(is_not_found(r2));

    let on_note = f
        .service
        .react(&f.sam, t.id, note.id, thumbs.clone(), true, &ctx)
        .await
        .unwrap();
    assert_eq!(on_note, r("👍", 1, true));
    let event = staff.recv().await.unwrap();
    assert_eq!(event.name(), "message.reaction");
    assert_eq!(event.payload()["message_id"], note.id.0);
    assert!(
        ticket_channel.try_recv().is_none(),
        "a note's reaction never reaches the ticket channel"
    );

    let on_public = f
        .service
        .react(&f.sam, t.id, public.id, thumbs.clone(), true, &ctx)
        .await
        .unwrap();
    assert_eq!(on_public.count, 1);
    let event = ticket_channel.recv().await.unwrap();
    assert_eq!(event.name(), "message.reaction");
    let p = event.payload();
    assert_eq!(
        (
            p["message_id"].clone(),
            p["emoji"].clone(),
            p["count"].clone()
        ),
        (public.id.0.into(), "👍".into(), 1.into())
    );
    assert_eq!(
        (p["user_id"].clone(), p["added"].clone()),
        (f.sam.id.0.into(), true.into())
    );

    // Adding again sends nothing.
    f.service
        .react(&f.sam, t.id, public.id, thumbs, true, &ctx)
        .await
        .unwrap();
    assert!(ticket_channel.try_recv().is_none());

    // What each side is shown: the employee never learns of the note's reaction.
    let both = [public.clone(), note.clone()];
    let alice_sees = f.service.reactions(&f.alice, t.id, &both).await.unwrap();
    assert_eq!(alice_sees.len(), 1);
    assert_eq!(alice_sees[0].message_id, public.id);
    let sam_sees = f.service.reactions(&f.sam, t.id, &both).await.unwrap();
    assert_eq!(sam_sees.len(), 2);
    let bob = f.service.reactions(&f.bob, t.id, &both).await;
    assert!(is_not_found(bob));
}
