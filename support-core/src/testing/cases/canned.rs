//! Canned responses and ticket templates: who sees a personal response, where a shortcut must
//! be unique, and that updates and deletions stick.

use super::*;
use crate::canned::{CannedDraft, CannedResponse, TemplateDraft};

fn draft(shortcut: &str, shared: bool, owner: &Actor) -> CannedDraft {
    CannedDraft {
        shortcut: shortcut.into(),
        title: format!("Title of {shortcut}"),
        body: format!("Hello {{{{employee.name}}}}, about {shortcut} – ünïcode ✓"),
        shared,
        owner_id: owner.id,
        at: time::now(),
    }
}

async fn save(store: &Store, d: &CannedDraft) -> CannedResponse {
    store
        .save_canned_response(None, d)
        .await
        .unwrap()
        .expect("a new canned response is stored")
}

fn shortcuts(list: &[CannedResponse]) -> Vec<&str> {
    list.iter().map(|r| r.shortcut.as_str()).collect()
}

pub async fn personal_canned_responses_are_visible_to_their_owner_only(store: Store) {
    let f = Fixture::new(store.clone());
    let shared = save(&store, &draft("greeting", true, &f.ada)).await;
    let sams = save(&store, &draft("sams-own", false, &f.sam)).await;
    let hanas = save(&store, &draft("hanas-own", false, &f.hana)).await;
    assert_eq!(
        shared.body, "Hello {{employee.name}}, about greeting – ünïcode ✓",
        "the body round-trips"
    );
    assert!(shared.shared && !sams.shared);
    assert_eq!(sams.owner_id, f.sam.id);
    assert_eq!(sams.created_at, sams.updated_at);

    let for_sam = store.canned_responses(f.sam.id).await.unwrap();
    assert_eq!(
        for_sam,
        vec![shared.clone(), sams.clone()],
        "shared and own, in id order"
    );
    let for_hana = store.canned_responses(f.hana.id).await.unwrap();
    assert_eq!(shortcuts(&for_hana), ["greeting", "hanas-own"]);
    let for_ada = store.canned_responses(f.ada.id).await.unwrap();
    assert_eq!(
        shortcuts(&for_ada),
        ["greeting"],
        "an admin sees no one's personal ones"
    );
    // Through the service: another user's personal response is not found, whatever the role.
    assert!(is_not_found(
        f.service
            .render_canned_response(
                &f.ada,
                f.ticket(&f.alice, "x", Priority::Low).await.id,
                hanas.id
            )
            .await
    ));
}

pub async fn a_shortcut_is_unique_per_owner_and_among_shared_ones(store: Store) {
    let f = Fixture::new(store.clone());
    save(&store, &draft("reset", false, &f.sam)).await;
    // Another owner may use it, and so may a shared one.
    save(&store, &draft("reset", false, &f.hana)).await;
    let shared = save(&store, &draft("reset", true, &f.ada)).await;
    // The same owner may not, nor another shared one (whoever makes it).
    for taken in [draft("reset", false, &f.sam), draft("reset", true, &f.sam)] {
        let r = store.save_canned_response(None, &taken).await;
        assert!(matches!(r, Err(Error::Conflict(_))), "{taken:?} gave {r:?}");
    }
    // An update into a taken shortcut clashes too, and writes nothing.
    let other = save(&store, &draft("other", false, &f.sam)).await;
    let r = store
        .save_canned_response(Some(other.id), &draft("reset", false, &f.sam))
        .await;
    assert!(matches!(r, Err(Error::Conflict(_))), "{r:?}");
    let for_sam = store.canned_responses(f.sam.id).await.unwrap();
    assert_eq!(shortcuts(&for_sam), ["reset", "reset", "other"]);
    // Keeping its own shortcut is no clash.
    let mut same = draft("reset", true, &f.ada);
    same.title = "Reset your password".into();
    let kept = store
        .save_canned_response(Some(shared.id), &same)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.title, "Reset your password");

    // Through the service, the clash is a field error on `shortcut`.
    let fields = crate::canned::CannedFields::new_from_json(&serde_json::json!({
        "shortcut": "reset", "title": "Again", "body": "Again"
    }))
    .unwrap();
    match f.service.create_canned_response(&f.sam, fields).await {
        Err(Error::Invalid(errors)) => assert!(errors.get("shortcut").is_some(), "{errors:?}"),
        other => panic!("a taken shortcut gave {other:?}"),
    }
}

pub async fn updating_a_canned_response_replaces_its_fields_and_keeps_id_and_creation(
    store: Store,
) {
    let f = Fixture::new(store.clone());
    let first = save(&store, &draft("vpn", false, &f.sam)).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mut change = draft("vpn-2", true, &f.sam);
    change.title = "VPN, again".into();
    change.body = "Try {{ agent.name }}'s fix".into();
    let after = store
        .save_canned_response(Some(first.id), &change)
        .await
        .unwrap()
        .expect("it exists");
    assert_eq!(after.id, first.id);
    assert_eq!(after.created_at, first.created_at);
    assert_eq!(after.updated_at, change.at);
    assert!(after.updated_at > first.created_at);
    assert_eq!(
        (
            after.shortcut.as_str(),
            after.title.as_str(),
            after.body.as_str(),
            after.shared
        ),
        ("vpn-2", "VPN, again", "Try {{ agent.name }}'s fix", true)
    );
    // Now shared, so Hana sees it.
    assert_eq!(
        store.canned_responses(f.hana.id).await.unwrap(),
        vec![after]
    );
    let missing = store
        .save_canned_response(Some(CannedResponseId(first.id.get() + 1000)), &change)
        .await
        .unwrap();
    assert_eq!(missing, None, "an unknown id is None");
}

pub async fn a_deleted_canned_response_is_gone(store: Store) {
    let f = Fixture::new(store.clone());
    let gone = save(&store, &draft("bye", false, &f.sam)).await;
    let kept = save(&store, &draft("stay", false, &f.sam)).await;
    assert!(store.delete_canned_response(gone.id).await.unwrap());
    assert!(
        !store.delete_canned_response(gone.id).await.unwrap(),
        "once"
    );
    assert_eq!(store.canned_responses(f.sam.id).await.unwrap(), vec![kept]);
    // Its shortcut is free again.
    save(&store, &draft("bye", false, &f.sam)).await;
}

pub async fn ticket_templates_are_created_listed_updated_and_deleted(store: Store) {
    let vpn = TemplateDraft {
        name: "VPN problem".into(),
        category: Category::It,
        priority: Priority::High,
        subject: "VPN: ".into(),
        description: "Since when?\nWhich office?".into(),
    };
    let leave = TemplateDraft {
        name: "Leave request".into(),
        category: Category::Hr,
        priority: Priority::Low,
        subject: "Leave from … to …".into(),
        description: "Dates: ".into(),
    };
    assert!(store.ticket_templates().await.unwrap().is_empty());
    let a = store
        .save_ticket_template(None, &vpn)
        .await
        .unwrap()
        .unwrap();
    let b = store
        .save_ticket_template(None, &leave)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(a, vpn.stored(a.id));
    assert_eq!(
        store.ticket_templates().await.unwrap(),
        vec![a.clone(), b.clone()]
    );

    let changed = TemplateDraft {
        priority: Priority::Urgent,
        ..vpn.clone()
    };
    let a2 = store
        .save_ticket_template(Some(a.id), &changed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a2, changed.stored(a.id));
    assert!(store.delete_ticket_template(b.id).await.unwrap());
    assert!(!store.delete_ticket_template(b.id).await.unwrap());
    assert_eq!(store.ticket_templates().await.unwrap(), vec![a2]);
    assert_eq!(
        store
            .save_ticket_template(Some(b.id), &leave)
            .await
            .unwrap(),
        None,
        "a deleted one cannot be updated"
    );
}
