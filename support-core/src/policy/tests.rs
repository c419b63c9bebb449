//! The policy's rules, each for every role; then the same rules as the service applies them
//! on every route, on a [`MemoryStore`]: who may do what is decided by the role and the
//! ticket's owner, never by the store.

use crate::testing::Fixture;
use crate::testing::cases::{is_not_found, status};
use crate::*;

/// The employee who owns the ticket in the rule tests.
const OWNER: UserId = UserId(101);

fn owner() -> Actor {
    Actor::new(OWNER, "Alice Employee", Role::Employee)
}

fn other_employee() -> Actor {
    Actor::new(102, "Bob Employee", Role::Employee)
}

fn staff() -> [Actor; 3] {
    [
        Actor::new(201, "Sam Support", Role::Support),
        Actor::new(202, "Ada Admin", Role::Admin),
        Actor::new(203, "Hana HR", Role::Hr),
    ]
}

#[test]
fn an_employee_sees_only_their_own_tickets_and_no_internal_note() {
    assert!(Policy::can_view(&owner(), OWNER));
    assert!(!Policy::can_view(&other_employee(), OWNER));
    assert!(!Policy::can_see_internal(&owner()));
}

#[test]
fn staff_see_every_ticket_and_every_note() {
    for s in staff() {
        assert!(Policy::can_view(&s, OWNER), "{s:?}");
        assert!(Policy::can_view(&s, other_employee().id), "{s:?}");
        assert!(Policy::can_see_internal(&s), "{s:?}");
    }
}

#[test]
fn a_ticket_one_may_not_see_is_not_found_rather_than_forbidden() {
    assert!(Policy::check_view(&owner(), OWNER).is_ok());
    assert!(matches!(
        Policy::check_view(&other_employee(), OWNER),
        Err(Error::NotFound)
    ));
}

#[test]
fn only_staff_write_internal_notes_and_only_on_tickets_they_may_see() {
    assert!(Policy::check_post(&owner(), OWNER, Visibility::Public).is_ok());
    assert!(matches!(
        Policy::check_post(&owner(), OWNER, Visibility::Internal),
        Err(Error::Forbidden(_))
    ));
    for visibility in [Visibility::Public, Visibility::Internal] {
        assert!(
            matches!(
                Policy::check_post(&other_employee(), OWNER, visibility),
                Err(Error::NotFound)
            ),
            "{visibility:?} on another employee's ticket"
        );
        for s in staff() {
            assert!(Policy::check_post(&s, OWNER, visibility).is_ok(), "{s:?}");
        }
    }
}

#[test]
fn staff_operations_and_assignment_are_for_staff_only() {
    for e in [owner(), other_employee()] {
        assert!(matches!(Policy::check_staff(&e), Err(Error::Forbidden(_))));
        assert!(!Policy::can_be_assigned(&e));
    }
    for s in staff() {
        assert!(Policy::check_staff(&s).is_ok(), "{s:?}");
        assert!(Policy::can_be_assigned(&s), "{s:?}");
    }
}

#[test]
fn the_owner_writes_as_the_employee_and_anyone_else_as_support() {
    assert_eq!(Policy::author_type(&owner(), OWNER), AuthorType::Employee);
    for s in staff() {
        assert_eq!(Policy::author_type(&s, OWNER), AuthorType::Support, "{s:?}");
    }
}

#[test]
fn a_ticket_channel_admits_its_employee_and_staff_and_the_admin_channel_staff() {
    let ticket = Channel::Ticket(TicketId(1));
    assert!(Policy::can_join(&owner(), &ticket, Some(OWNER)));
    assert!(!Policy::can_join(&other_employee(), &ticket, Some(OWNER)));
    assert!(!Policy::can_join(&owner(), &Channel::Admin, None));
    for s in staff() {
        assert!(Policy::can_join(&s, &ticket, Some(OWNER)), "{s:?}");
        assert!(Policy::can_join(&s, &Channel::Admin, None), "{s:?}");
    }
    for who in [owner(), staff()[0].clone()] {
        assert!(
            !Policy::can_join(&who, &ticket, None),
            "nobody joins the channel of a ticket that does not exist"
        );
    }
}

#[test]
fn a_tickets_staff_presence_admits_staff_only() {
    let presence = Channel::TicketStaff(TicketId(1));
    assert!(
        !Policy::can_join(&owner(), &presence, Some(OWNER)),
        "not even the ticket's own employee"
    );
    assert!(!Policy::can_join(&other_employee(), &presence, Some(OWNER)));
    for s in staff() {
        assert!(Policy::can_join(&s, &presence, Some(OWNER)), "{s:?}");
        assert!(
            !Policy::can_join(&s, &presence, None),
            "no presence on a ticket that does not exist: {s:?}"
        );
    }
}

#[tokio::test]
async fn employee_cannot_write_internal_notes() {
    let f = Fixture::in_memory();
    let t = f.ticket(&f.alice, "mine", Priority::Low).await;
    let note = NewMessage::internal(MessageBody::parse("let me in").unwrap());
    let r = f
        .service
        .post_message(&f.alice, t.id, note, &WriteContext::default())
        .await;
    assert!(matches!(r, Err(Error::Forbidden(_))), "{r:?}");
    assert!(f.all_messages(&f.sam, t.id).await.is_empty());
}

#[tokio::test]
async fn another_employees_ticket_is_not_found_by_any_route() {
    let f = Fixture::in_memory();
    let t = f.ticket(&f.alice, "private", Priority::Low).await;
    f.say(&f.alice, t.id, "my secret").await;
    assert!(is_not_found(f.service.show_ticket(&f.bob, t.id).await));
    assert!(is_not_found(
        f.service
            .messages(&f.bob, t.id, MessagePosition::Latest, None)
            .await
    ));
    let body = NewMessage::public(MessageBody::parse("intrude").unwrap());
    assert!(is_not_found(
        f.service
            .post_message(&f.bob, t.id, body, &WriteContext::default())
            .await
    ));
    let missing = TicketId(t.id.0 + 1000);
    assert!(
        is_not_found(f.service.show_ticket(&f.bob, missing).await),
        "missing and foreign look the same"
    );
    assert!(
        f.service
            .authorize_channel(&f.bob, &Channel::Ticket(t.id))
            .await
            .is_err()
    );
    assert_eq!(
        f.all_messages(&f.alice, t.id).await.len(),
        1,
        "nothing was written"
    );
}

#[tokio::test]
async fn staff_operations_are_forbidden_to_employees() {
    let f = Fixture::in_memory();
    let t = f.ticket(&f.alice, "mine", Priority::Low).await;
    let forbidden = |r: Result<()>| matches!(r, Err(Error::Forbidden(_)));
    let s = &f.service;
    let p = PageRequest::default();
    assert!(forbidden(s.dashboard(&f.alice, &p).await.map(drop)));
    assert!(forbidden(
        s.list_tickets(&f.alice, TicketFilter::default(), &p)
            .await
            .map(drop)
    ));
    assert!(forbidden(s.stats(&f.alice).await.map(drop)));
    assert!(forbidden(s.audit_trail(&f.alice, t.id).await.map(drop)));
    assert!(forbidden(
        s.update_ticket(
            &f.alice,
            t.id,
            status(Status::Resolved),
            &WriteContext::default()
        )
        .await
        .map(drop)
    ));
    assert_eq!(
        f.store.ticket(t.id).await.unwrap().unwrap().status,
        Status::Open,
        "own ticket unchanged"
    );
    for staff in f.staff() {
        assert!(s.dashboard(staff, &p).await.is_ok());
        assert!(s.stats(staff).await.is_ok());
    }
}

#[tokio::test]
async fn channel_joins_follow_the_policy() {
    let f = Fixture::in_memory();
    let t = f.ticket(&f.alice, "channels", Priority::Low).await;
    let s = &f.service;
    let ticket = Channel::Ticket(t.id);
    assert!(
        s.authorize_channel(&f.alice, &ticket).await.is_ok(),
        "owner joins"
    );
    assert!(
        s.authorize_channel(&f.bob, &ticket).await.is_err(),
        "another employee does not"
    );
    assert!(
        s.authorize_channel(&f.alice, &Channel::Admin)
            .await
            .is_err()
    );
    for staff in f.staff() {
        assert!(s.authorize_channel(staff, &ticket).await.is_ok());
        assert!(s.authorize_channel(staff, &Channel::Admin).await.is_ok());
    }
    let missing = Channel::Ticket(TicketId(t.id.0 + 500));
    assert!(s.authorize_channel(&f.sam, &missing).await.is_err());
    assert!(s.authorize_channel(&f.alice, &missing).await.is_err());

    let presence = Channel::TicketStaff(t.id);
    assert!(
        matches!(
            s.authorize_channel(&f.alice, &presence).await,
            Err(Error::Forbidden(_))
        ),
        "the owner is refused the staff presence of their own ticket"
    );
    for staff in f.staff() {
        assert!(s.authorize_channel(staff, &presence).await.is_ok());
    }
    let missing = Channel::TicketStaff(TicketId(t.id.0 + 500));
    assert!(s.authorize_channel(&f.sam, &missing).await.is_err());
}

#[test]
fn canned_responses_are_staff_only_shared_ones_for_admins_to_manage() {
    let [sam, ada, hana] = staff();
    for employee in [owner(), other_employee()] {
        for shared in [false, true] {
            assert!(Policy::check_manage_canned(&employee, shared).is_err());
            assert!(!Policy::can_see_canned(&employee, shared, employee.id));
        }
    }
    for s in [&sam, &ada, &hana] {
        assert!(
            Policy::check_manage_canned(s, false).is_ok(),
            "{s:?}: personal"
        );
        assert!(Policy::can_see_canned(s, true, ada.id), "{s:?}: shared");
        assert!(Policy::can_see_canned(s, false, s.id), "{s:?}: own");
    }
    assert!(Policy::check_manage_canned(&ada, true).is_ok());
    for s in [&sam, &hana] {
        assert!(matches!(
            Policy::check_manage_canned(s, true),
            Err(Error::Forbidden(_))
        ));
        assert!(Policy::check_admin(s).is_err());
    }
    // Another user's personal one is invisible, to an admin too.
    assert!(!Policy::can_see_canned(&ada, false, sam.id));
    assert!(!Policy::can_see_canned(&hana, false, sam.id));
}
