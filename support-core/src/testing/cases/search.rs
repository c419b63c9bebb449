//! Full-text search: what each side finds, in what order, page by page, and that no query
//! text breaks it.

use super::*;
use crate::search::{SearchFilter, SearchHit};

type Doc = (TicketId, Option<MessageId>);

/// Every hit of a search by `who` (staff: everything; an employee: their own), paging through
/// with pages of `limit`.
async fn search_all(f: &Fixture, who: &Actor, q: &str, limit: u32) -> Vec<SearchHit> {
    let mut out = Vec::new();
    let mut page = PageRequest {
        cursor: None,
        limit: Some(limit),
    };
    loop {
        let p = if who.is_staff() {
            f.service
                .search(who, q, &SearchFilter::default(), &page)
                .await
        } else {
            f.service
                .search_mine(who, q, &SearchFilter::default(), &page)
                .await
        }
        .unwrap_or_else(|e| panic!("search {q:?} failed: {e}"));
        out.extend(p.data);
        match p.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => return out,
        }
    }
}

fn docs(hits: &[SearchHit]) -> Vec<Doc> {
    hits.iter().map(|h| (h.ticket.id, h.message_id)).collect()
}

/// The highlighted parts of a hit's snippet, lowercased.
fn highlighted(hit: &SearchHit) -> Vec<String> {
    let units: Vec<u16> = hit.snippet.text.encode_utf16().collect();
    hit.snippet
        .highlights
        .iter()
        .map(|[a, b]| {
            String::from_utf16(&units[*a as usize..*b as usize])
                .unwrap()
                .to_lowercase()
        })
        .collect()
}

async fn open(f: &Fixture, who: &Actor, subject: &str, description: &str) -> Ticket {
    let input = NewTicket::parse(subject, description, "it", "medium").unwrap();
    f.service
        .create_ticket(who, input, &WriteContext::default())
        .await
        .unwrap()
}

pub async fn search_finds_subjects_descriptions_and_messages_but_employees_only_their_public_text(
    store: Store,
) {
    let f = Fixture::new(store);
    let vpn = open(
        &f,
        &f.alice,
        "Zephyrvpn keeps dropping",
        "Since the quokka update",
    )
    .await;
    let hello = f.say(&f.alice, vpn.id, "The marmalade router blinks").await;
    let note = f.note(&f.sam, vpn.id, "Check the xylograph logs").await;
    let bobs = open(&f, &f.bob, "Payslip zephyrvpn question", "quokka tax code").await;
    let bob_says = f.say(&f.bob, bobs.id, "marmalade too").await;

    // Staff find each field, internal notes included; each hit names its document.
    let staff = |q: &'static str| search_all(&f, &f.sam, q, 20);
    let mut found = docs(&staff("zephyrvpn").await);
    found.sort();
    assert_eq!(found, vec![(vpn.id, None), (bobs.id, None)], "subject");
    let mut found = docs(&staff("QUOKKA").await);
    found.sort();
    assert_eq!(found, vec![(vpn.id, None), (bobs.id, None)], "description");
    let mut found = docs(&staff("marmalade").await);
    found.sort();
    assert_eq!(
        found,
        vec![(vpn.id, Some(hello.id)), (bobs.id, Some(bob_says.id))]
    );
    let hits = staff("xylograph").await;
    assert_eq!(
        docs(&hits),
        vec![(vpn.id, Some(note.id))],
        "internal note, for staff"
    );
    assert_eq!(highlighted(&hits[0]), vec!["xylograph"]);
    assert_eq!(
        hits[0].ticket,
        f.store.ticket(vpn.id).await.unwrap().unwrap()
    );
    assert!(
        hits[0].snippet.text.contains("Check the xylograph logs"),
        "{:?}",
        hits[0].snippet
    );

    // Alice: her subject and her public message; never the note, never Bob's ticket.
    let alice = |q: &'static str| search_all(&f, &f.alice, q, 20);
    assert_eq!(docs(&alice("zephyrvpn").await), vec![(vpn.id, None)]);
    let hits = alice("marmalade").await;
    assert_eq!(docs(&hits), vec![(vpn.id, Some(hello.id))]);
    assert_eq!(highlighted(&hits[0]), vec!["marmalade"]);
    assert!(
        alice("xylograph").await.is_empty(),
        "a note's word reached an employee"
    );
    assert!(
        alice("payslip").await.is_empty(),
        "another employee's ticket"
    );
    assert!(alice("tax code").await.is_empty());
    // Staff searching on the portal see only their own tickets: none here.
    assert!(
        f.service
            .search_mine(
                &f.sam,
                "xylograph",
                &SearchFilter::default(),
                &PageRequest::default()
            )
            .await
            .unwrap()
            .data
            .is_empty()
    );

    // Every term must be in one document; the last one matches as a word's start.
    assert_eq!(
        docs(&staff("zephyrvpn payslip").await),
        vec![(bobs.id, None)]
    );
    assert_eq!(
        docs(&staff("xylograph lo").await),
        vec![(vpn.id, Some(note.id))]
    );
    assert!(
        staff("xylo logs").await.is_empty(),
        "only the last term is a prefix"
    );
    assert!(
        staff("zephyrvpn marmalade").await.is_empty(),
        "ticket and message are apart"
    );
}

pub async fn search_ranks_the_better_match_first(store: Store) {
    let f = Fixture::new(store);
    let filler = "the monitor flickers whenever the docking station wakes up after lunch and \
                  nobody on the third floor knows why it happens so often";
    let weak = open(
        &f,
        &f.alice,
        "Monitor flicker",
        &format!("{filler} near the printer"),
    )
    .await;
    let strong = open(
        &f,
        &f.alice,
        "Printer offline",
        "The printer shows a printer error",
    )
    .await;
    let other = open(&f, &f.bob, "Badge", "My badge stopped working").await;
    let long = f
        .say(
            &f.bob,
            other.id,
            &format!("{filler}; the printer too, {filler}"),
        )
        .await;
    let short = f.say(&f.bob, other.id, "printer printer jammed").await;

    let hits = docs(&search_all(&f, &f.sam, "printer", 20).await);
    assert_eq!(hits.len(), 4, "{hits:?}");
    let at = |d: Doc| hits.iter().position(|h| *h == d).unwrap();
    assert!(at((strong.id, None)) < at((weak.id, None)), "{hits:?}");
    assert!(
        at((other.id, Some(short.id))) < at((other.id, Some(long.id))),
        "{hits:?}"
    );
    // The subject counts more than a long message.
    assert!(
        at((strong.id, None)) < at((other.id, Some(long.id))),
        "{hits:?}"
    );
}

pub async fn search_pages_neither_repeat_nor_skip(store: Store) {
    let f = Fixture::new(store);
    let (mut expected, mut public_count) = (Vec::new(), 0);
    for i in 0..7 {
        let t = f
            .ticket(&f.alice, &format!("Laptop {i} fan noise"), Priority::Low)
            .await;
        expected.push((t.id, None));
        for j in 0..(i % 3) {
            let m = f
                .say(&f.alice, t.id, &format!("the fan again, take {j}"))
                .await;
            expected.push((t.id, Some(m.id)));
        }
        public_count += 1 + i % 3;
        // Notes count for staff only.
        let n = f.note(&f.ada, t.id, "fan replaced").await;
        expected.push((t.id, Some(n.id)));
    }
    expected.sort();
    let whole = docs(&search_all(&f, &f.sam, "fan", 50).await);
    for limit in [1, 2, 3, 5] {
        let paged = docs(&search_all(&f, &f.sam, "fan", limit).await);
        assert_eq!(paged, whole, "pages of {limit} differ from one page");
    }
    let mut sorted = whole.clone();
    sorted.sort();
    assert_eq!(sorted, expected);

    let mine = docs(&search_all(&f, &f.alice, "fan", 2).await);
    let public: Vec<Doc> = whole.iter().copied().filter(|d| mine.contains(d)).collect();
    assert_eq!(
        mine.len(),
        public_count,
        "tickets and their public messages: {mine:?}"
    );
    assert_eq!(public, mine, "an employee's pages keep the staff order");
}

pub async fn hostile_search_text_answers_hits_or_none(store: Store) {
    let f = Fixture::new(store);
    let t = open(
        &f,
        &f.alice,
        "Ünïcödé 東京 \"quoted\" AND NEAR(x) - ^caret *star",
        "<mark>not markup</mark> & [[brackets]] \u{e000} private \u{e001}",
    )
    .await;
    f.say(
        &f.alice,
        t.id,
        "C:\\path 'single' \"double\" -- ; DROP TABLE tickets; 100%",
    )
    .await;
    let hostile = [
        "\"",
        "\"\"",
        "'",
        "AND",
        "OR",
        "NOT",
        "AND OR NOT",
        "NEAR(",
        "NEAR(a b",
        "*",
        "a*",
        "-",
        "-x",
        "^",
        "^x",
        "x:y",
        "{subject}: x",
        "subject:x",
        "(",
        ")",
        "()",
        "a OR",
        "\"unbalanced",
        "'; DROP TABLE tickets; --",
        "\\",
        "%",
        "_",
        "&",
        "|",
        "!",
        ":*",
        "a & b | !c",
        "<->",
        "Ünïcödé",
        "東京",
        "😀",
        "x\u{0}y",
        "\u{1}",
        "\u{2}quoted\u{3}",
        "\u{e000}",
        "mark",
        "ÜNÏCÖDÉ",
    ];
    for q in hostile {
        for who in [&f.sam, &f.alice] {
            let r = if who.is_staff() {
                f.service
                    .search(who, q, &SearchFilter::default(), &PageRequest::default())
                    .await
            } else {
                f.service
                    .search_mine(who, q, &SearchFilter::default(), &PageRequest::default())
                    .await
            };
            assert!(r.is_ok(), "{q:?}: {r:?}");
        }
    }
    let f = &f;
    let found = |q: &'static str| async move { docs(&search_all(f, &f.sam, q, 20).await) };
    assert_eq!(found("Ünïcödé").await, vec![(t.id, None)]);
    assert_eq!(found("ünïcödé 東京").await, vec![(t.id, None)]);
    assert_eq!(found("\"quoted\" AND").await, vec![(t.id, None)]);
    assert_eq!(found("NEAR(x").await, vec![(t.id, None)]);
    assert_eq!(found("'; DROP TABLE tickets; --").await.len(), 1);
    assert!(found("\"* - ^ ()").await.is_empty());
    // Markup in the text is text: the snippet holds it as written.
    let hits = search_all(f, &f.sam, "markup", 20).await;
    assert_eq!(docs(&hits), vec![(t.id, None)]);
    assert!(
        hits[0].snippet.text.contains("<mark>not markup</mark>"),
        "{:?}",
        hits[0].snippet
    );
    assert_eq!(highlighted(&hits[0]), vec!["markup"]);
    let hits = search_all(f, &f.sam, "private", 20).await;
    assert!(
        hits[0].snippet.text.contains("\u{e000} private \u{e001}"),
        "{:?}",
        hits[0].snippet
    );
    assert_eq!(highlighted(&hits[0]), vec!["private"]);
}

pub async fn search_hits_say_which_messages_are_internal_notes(store: Store) {
    let f = Fixture::new(store);
    let t = open(&f, &f.alice, "Quasar backup fails", "The quasar job stops").await;
    let said = f.say(&f.alice, t.id, "quasar again tonight").await;
    let note = f.note(&f.sam, t.id, "quasar disk is full").await;
    let reply = f.say(&f.sam, t.id, "We are on the quasar job").await;

    let flags = |hits: &[SearchHit]| {
        let mut out: Vec<(Doc, bool)> = hits
            .iter()
            .map(|h| ((h.ticket.id, h.message_id), h.is_internal))
            .collect();
        out.sort();
        out
    };
    // Staff: the note's hit says it is one; the ticket's own hit and public messages do not.
    assert_eq!(
        flags(&search_all(&f, &f.sam, "quasar", 20).await),
        vec![
            ((t.id, None), false),
            ((t.id, Some(said.id)), false),
            ((t.id, Some(note.id)), true),
            ((t.id, Some(reply.id)), false),
        ]
    );
    // Whatever the page size, each hit keeps its flag.
    assert_eq!(
        flags(&search_all(&f, &f.sam, "quasar disk", 1).await),
        vec![((t.id, Some(note.id)), true)]
    );
    // The employee never finds the note, so never a hit marked as one.
    assert_eq!(
        flags(&search_all(&f, &f.alice, "quasar", 20).await),
        vec![
            ((t.id, None), false),
            ((t.id, Some(said.id)), false),
            ((t.id, Some(reply.id)), false),
        ]
    );
}

pub async fn search_ranks_only_the_newest_matches_of_each_kind(store: Store) {
    use crate::search::RANKED_MATCHES;
    let f = Fixture::new(store);
    let t = open(&f, &f.alice, "Zephyr sync", "The zephyr client stopped").await;
    // The best match of all comes first; RANKED_MATCHES weaker ones are newer.
    let best = f.say(&f.alice, t.id, "zephyr zephyr zephyr, oldest").await;
    let mut newer = Vec::with_capacity(RANKED_MATCHES);
    for i in 0..RANKED_MATCHES {
        let text = format!("the zephyr client again, try {i}, with a long tail of other words");
        newer.push(f.say(&f.alice, t.id, &text).await.id);
    }
    newer.sort();
    for who in [&f.sam, &f.alice] {
        let hits = search_all(&f, who, "zephyr", 100).await;
        let mut messages: Vec<MessageId> = hits.iter().filter_map(|h| h.message_id).collect();
        messages.sort();
        assert_eq!(
            messages, newer,
            "only the newest matching messages are ranked, so the oldest and best is not among them"
        );
        // The ticket's own text is the other kind: its hit is there.
        assert_eq!(hits.iter().filter(|h| h.message_id.is_none()).count(), 1);
        // Its own word still finds the old message.
        let old = docs(&search_all(&f, who, "zephyr oldest", 20).await);
        assert_eq!(old, vec![(t.id, Some(best.id))]);
    }
}
