//! Uploads: linked to their message in its append, at most once; only the uploader's fresh
//! upload of the same ticket; who may download; unattached ones listed and deleted; content
//! kept while any upload uses it.

use std::time::Duration;

use super::*;
use crate::attachment::{BlobKey, BlobStore, MemoryBlobStore, NewUpload, Upload};
use crate::store::{Author, MessageDraft};

fn sha(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

async fn upload(f: &Fixture, who: &Actor, ticket: TicketId, name: &str, n: u8) -> Upload {
    f.service
        .upload_attachment(
            who,
            ticket,
            NewUpload {
                name: name.to_owned(),
                content_type: "image/png".to_owned(),
                size: 100 + u64::from(n),
                sha256: sha(n),
            },
        )
        .await
        .unwrap()
}

async fn post_with(
    f: &Fixture,
    who: &Actor,
    ticket: TicketId,
    ids: &[AttachmentId],
    internal: bool,
) -> Result<Message> {
    let body =
        serde_json::json!({"content": "see attached", "is_internal": internal, "attachments": ids});
    let message = NewMessage::from_json(&body, "content")?;
    f.service
        .post_message(who, ticket, message, &WriteContext::default())
        .await
}

fn refused_field(r: Result<Message>) -> Vec<String> {
    match r {
        Err(Error::Invalid(e)) => e.fields().keys().cloned().collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

pub async fn uploads_are_linked_to_their_message_in_its_append(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "screenshot", Priority::Low).await;
    let a = upload(&f, &f.alice, t.id, "error 😀.png", 1).await;
    let b = upload(&f, &f.alice, t.id, "log.png", 2).await;
    assert_eq!(a.message_id, None);
    assert_eq!(f.store.upload(a.id).await.unwrap().as_ref(), Some(&a));
    let m = post_with(&f, &f.alice, t.id, &[b.id, a.id], false)
        .await
        .unwrap();
    assert_eq!(m.attachments, [b.attachment(), a.attachment()]);
    assert_eq!(m.attachments[1].name, "error 😀.png");
    assert_eq!(
        m.attachments[1].url,
        format!("/api/employee/portal/support/{}/attachments/{}", t.id, a.id)
    );
    for u in [&a, &b] {
        let stored = f.store.upload(u.id).await.unwrap().unwrap();
        assert_eq!(stored.message_id, Some(m.id));
        assert!(!stored.is_internal);
    }
    let read = f.all_messages(&f.sam, t.id).await;
    assert_eq!(read[0].attachments, m.attachments);

    // On an internal note, the upload becomes staff-only.
    let n = upload(&f, &f.sam, t.id, "notes.png", 3).await;
    let note = post_with(&f, &f.sam, t.id, &[n.id], true).await.unwrap();
    let stored = f.store.upload(n.id).await.unwrap().unwrap();
    assert_eq!(stored.message_id, Some(note.id));
    assert!(stored.is_internal);
}

pub async fn an_upload_is_linked_at_most_once(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "twice", Priority::Low).await;
    let a = upload(&f, &f.alice, t.id, "a.png", 1).await;
    let b = upload(&f, &f.alice, t.id, "b.png", 2).await;
    let first = post_with(&f, &f.alice, t.id, &[a.id], false).await.unwrap();
    assert_eq!(
        refused_field(post_with(&f, &f.alice, t.id, &[b.id, a.id], false).await),
        ["attachments.1"]
    );
    // The store refuses too, without the service's check, and writes nothing: `b` stays free.
    let draft = MessageDraft {
        ticket_id: t.id,
        author: Author::of(&f.alice),
        author_type: AuthorType::Employee,
        message: NewMessage::public(MessageBody::parse("again").unwrap()),
        attachments: vec![b.attachment(), a.attachment()],
        idempotency_key: None,
        at: time::now(),
    };
    match f.store.append_message(&draft).await {
        Err(Error::Invalid(e)) => assert!(e.get("attachments.1").is_some(), "{e:?}"),
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(
        f.store.upload(b.id).await.unwrap().unwrap().message_id,
        None
    );
    let read = f.all_messages(&f.sam, t.id).await;
    assert_eq!(read.iter().map(|m| m.id).collect::<Vec<_>>(), [first.id]);

    // Racing appends of one upload: exactly one message carries it.
    let c = upload(&f, &f.alice, t.id, "c.png", 3).await;
    let ids = [c.id];
    let racing = (0..4).map(|_| post_with(&f, &f.alice, t.id, &ids, false));
    let results = futures::future::join_all(racing).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let winner = results.into_iter().find_map(|r| r.ok()).unwrap();
    assert_eq!(
        f.store.upload(c.id).await.unwrap().unwrap().message_id,
        Some(winner.id)
    );
}

pub async fn a_retried_message_with_attachments_answers_the_first(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "retry", Priority::Low).await;
    let a = upload(&f, &f.alice, t.id, "a.png", 1).await;
    let body = serde_json::json!({"content": "with file", "attachments": [a.id]});
    let post = || async {
        f.service
            .post_message(
                &f.alice,
                t.id,
                NewMessage::from_json(&body, "content").unwrap(),
                &ctx_key("with-file"),
            )
            .await
    };
    let first = post().await.unwrap();
    let again = post().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(f.all_messages(&f.sam, t.id).await.len(), 1);
    assert_eq!(
        f.store.upload(a.id).await.unwrap().unwrap().message_id,
        Some(first.id)
    );
    // The key with other attachments is a different request.
    let b = upload(&f, &f.alice, t.id, "b.png", 2).await;
    let other = serde_json::json!({"content": "with file", "attachments": [b.id]});
    let reused = f
        .service
        .post_message(
            &f.alice,
            t.id,
            NewMessage::from_json(&other, "content").unwrap(),
            &ctx_key("with-file"),
        )
        .await;
    assert!(matches!(reused, Err(Error::Conflict(_))), "{reused:?}");
    assert_eq!(
        f.store.upload(b.id).await.unwrap().unwrap().message_id,
        None
    );
}

pub async fn only_the_uploaders_fresh_upload_of_the_same_ticket_can_be_attached(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "mine", Priority::Low).await;
    let other = f.ticket(&f.alice, "other", Priority::Low).await;
    let by_staff = upload(&f, &f.sam, t.id, "s.png", 1).await;
    let elsewhere = upload(&f, &f.alice, other.id, "o.png", 2).await;
    assert_eq!(
        refused_field(post_with(&f, &f.alice, t.id, &[by_staff.id], false).await),
        ["attachments.0"]
    );
    assert_eq!(
        refused_field(post_with(&f, &f.alice, t.id, &[elsewhere.id], false).await),
        ["attachments.0"]
    );
    assert_eq!(
        refused_field(post_with(&f, &f.alice, t.id, &[AttachmentId(999_999)], false).await),
        ["attachments.0"]
    );
    // Bob may not upload to Alice's ticket at all.
    let refused = f
        .service
        .upload_attachment(
            &f.bob,
            t.id,
            NewUpload {
                name: "x".into(),
                content_type: "image/png".into(),
                size: 1,
                sha256: sha(9),
            },
        )
        .await;
    assert!(is_not_found(refused));
    // An upload older than the TTL can no longer be attached.
    let old = upload(&f, &f.alice, t.id, "old.png", 3).await;
    f.service.set_upload_ttl(Duration::ZERO);
    tokio::time::sleep(Duration::from_millis(2)).await;
    assert_eq!(
        refused_field(post_with(&f, &f.alice, t.id, &[old.id], false).await),
        ["attachments.0"]
    );
    f.service.set_upload_ttl(Upload::TTL);
    post_with(&f, &f.alice, t.id, &[old.id], false)
        .await
        .unwrap();
}

pub async fn downloads_follow_the_message_and_unattached_ones_only_their_uploader(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "who sees", Priority::Low).await;
    let a = upload(&f, &f.alice, t.id, "a.png", 1).await;
    assert!(f.service.attachment(&f.alice, t.id, a.id).await.is_ok());
    for nobody in [&f.sam, &f.bob] {
        assert!(is_not_found(f.service.attachment(nobody, t.id, a.id).await));
    }
    post_with(&f, &f.alice, t.id, &[a.id], false).await.unwrap();
    for allowed in [&f.alice, &f.sam, &f.ada] {
        assert!(f.service.attachment(allowed, t.id, a.id).await.is_ok());
    }
    assert!(is_not_found(f.service.attachment(&f.bob, t.id, a.id).await));
    let other = f.ticket(&f.bob, "bob's", Priority::Low).await;
    assert!(is_not_found(
        f.service.attachment(&f.sam, other.id, a.id).await
    ));

    let n = upload(&f, &f.sam, t.id, "n.png", 2).await;
    post_with(&f, &f.sam, t.id, &[n.id], true).await.unwrap();
    assert!(f.service.attachment(&f.ada, t.id, n.id).await.is_ok());
    assert!(is_not_found(
        f.service.attachment(&f.alice, t.id, n.id).await
    ));
}

pub async fn unattached_uploads_are_listed_and_deleted_attached_ones_kept(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "leftovers", Priority::Low).await;
    let a = upload(&f, &f.alice, t.id, "a.png", 1).await;
    let b = upload(&f, &f.alice, t.id, "b.png", 2).await;
    let c = upload(&f, &f.alice, t.id, "c.png", 3).await;
    post_with(&f, &f.alice, t.id, &[b.id], false).await.unwrap();
    let later = time::now() + chrono::Duration::seconds(1);
    let listed = f.store.unattached_uploads(later, 10).await.unwrap();
    assert_eq!(
        listed.iter().map(|u| u.id).collect::<Vec<_>>(),
        [a.id, c.id]
    );
    assert_eq!(listed[0], a);
    let first = f.store.unattached_uploads(later, 1).await.unwrap();
    assert_eq!(first.iter().map(|u| u.id).collect::<Vec<_>>(), [a.id]);
    assert!(
        f.store
            .unattached_uploads(a.created_at, 10)
            .await
            .unwrap()
            .is_empty()
    );

    assert!(
        !f.store.delete_upload(b.id).await.unwrap(),
        "an attached upload is kept"
    );
    assert!(f.store.delete_upload(a.id).await.unwrap());
    assert!(!f.store.delete_upload(a.id).await.unwrap());
    assert_eq!(f.store.upload(a.id).await.unwrap(), None);
    assert!(f.store.upload(b.id).await.unwrap().is_some());
    let listed = f.store.unattached_uploads(later, 10).await.unwrap();
    assert_eq!(listed.iter().map(|u| u.id).collect::<Vec<_>>(), [c.id]);
}

pub async fn content_is_kept_while_any_upload_uses_it(store: Store) {
    let f = Fixture::new(store);
    let blobs = MemoryBlobStore::new();
    let t = f.ticket(&f.alice, "same file", Priority::Low).await;
    for n in [1, 2] {
        let key = BlobKey::content(&sha(n)).unwrap();
        let body = futures::stream::once(async { Ok(bytes::Bytes::from_static(b"png")) });
        blobs.put(&key, Box::pin(body)).await.unwrap();
    }
    let kept = upload(&f, &f.alice, t.id, "a.png", 1).await;
    let same = upload(&f, &f.alice, t.id, "a copy.png", 1).await;
    let alone = upload(&f, &f.alice, t.id, "b.png", 2).await;
    assert!(f.store.blob_in_use(&sha(1)).await.unwrap());
    assert!(!f.store.blob_in_use(&sha(3)).await.unwrap());
    post_with(&f, &f.alice, t.id, &[kept.id], false)
        .await
        .unwrap();

    // Fresh uploads are not collected.
    assert_eq!(
        f.service
            .purge_unattached_uploads(&blobs, 100)
            .await
            .unwrap(),
        0
    );
    f.service.set_upload_ttl(Duration::ZERO);
    tokio::time::sleep(Duration::from_millis(2)).await;
    assert_eq!(
        f.service
            .purge_unattached_uploads(&blobs, 100)
            .await
            .unwrap(),
        2
    );
    assert_eq!(f.store.upload(same.id).await.unwrap(), None);
    assert_eq!(f.store.upload(alone.id).await.unwrap(), None);
    assert!(f.store.blob_in_use(&sha(1)).await.unwrap());
    assert!(!f.store.blob_in_use(&sha(2)).await.unwrap());
    // The content still on a message stays; the other one is gone.
    assert_eq!(
        blobs.keys(),
        [BlobKey::content(&sha(1)).unwrap().to_string()]
    );
}
