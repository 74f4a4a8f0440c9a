"""Partner exchange: signed envelopes, a durable outbox and a deduplicating, ordering inbox."""
