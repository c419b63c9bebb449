-- A key may also make a ticket change safe to retry (kind 'update'). Its record keeps the
-- request it was first used for (`request`: support_core::KeyUse's fingerprint of the change),
-- so that the same key on a different change is a conflict.
ALTER TABLE idempotency_keys
    DROP CONSTRAINT idempotency_keys_kind_check,
    DROP CONSTRAINT idempotency_keys_check,
    ADD COLUMN request text,
    ADD CONSTRAINT idempotency_keys_kind_check CHECK (kind IN ('ticket', 'message', 'update')),
    ADD CONSTRAINT idempotency_keys_message_check CHECK (kind <> 'message' OR message_id IS NOT NULL),
    ADD CONSTRAINT idempotency_keys_request_check CHECK ((kind = 'update') = (request IS NOT NULL));
