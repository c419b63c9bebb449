-- Canned responses (support_core::CannedResponse) and ticket templates (support_core::TicketTemplate).
-- `scope` is 0 for a shared response and the owner's id for a personal one: a shortcut is unique
-- within its scope, and a user's list is the scopes 0 and theirs (src/canned.rs).
CREATE TABLE canned_responses (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shortcut   text NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL,
    shared     boolean NOT NULL,
    owner_id   bigint NOT NULL,
    scope      bigint NOT NULL CHECK (scope = CASE WHEN shared THEN 0 ELSE owner_id END),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE UNIQUE INDEX canned_responses_shortcut ON canned_responses (scope, shortcut);

CREATE TABLE ticket_templates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    category    text NOT NULL,
    priority    text NOT NULL,
    subject     text NOT NULL,
    description text NOT NULL
);
