// Package channels delivers rendered messages to people: one provider per
// file, each a concrete type with a Send method.
//
// The providers are FCM (push), SMTP (email), Kavenegar and Twilio (SMS;
// cmd picks one by JOURNEYS_SMS_PROVIDER) and Hook (webhook), plus Console
// for channels with none. Each takes a config struct that cmd fills from the
// JOURNEYS_* variables named on its fields; nothing here reads the
// environment. Limit wraps any of them in a token bucket.
//
// A refusal that no retry can fix is a *PermanentError (InvalidContact when
// the address itself is dead); anything worth retrying is a *TemporaryError,
// with the provider's Retry-After when it gives one.
//
// # Crash between send and record
//
// The send activity (activities.Send) claims each send in Postgres under its
// idempotency key (workflow id, enrollment id, step) before calling the
// provider, and marks it sent with the receipt after; a retry that finds it
// marked records the send without calling the provider again, and a retry
// stays on the channel the first attempt chose. If the process dies after a
// provider accepted a message but before the receipt was recorded, or the
// provider's answer is lost on the way (a timeout), the send is retried with
// the same idempotency key. What the person then gets depends on the
// provider:
//
//   - Push (FCM): FCM has no idempotency key; the push can arrive twice.
//   - Email (SMTP): the Message-ID is derived from the key, so both copies
//     carry the same one and some clients and mailbox servers collapse them,
//     but SMTP servers do not deduplicate; the email can arrive twice.
//   - SMS (Kavenegar): the localid is derived from the key and Kavenegar
//     will not send a second SMS with the same localid; at most once.
//   - SMS (Twilio): Twilio has no idempotency key; the SMS can arrive twice.
//   - Webhook (Hook): the Idempotency-Key header carries the key; the
//     receiver delivers at most once if it deduplicates on it, and may see
//     the request twice otherwise.
package channels
