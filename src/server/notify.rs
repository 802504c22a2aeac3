//! Keyspace notifications: each event is published on `__keyspace@<db>__:<key>` (the
//! event's name as the message) and then on `__keyevent@<db>__:<event>` (the key), when
//! `notify-keyspace-events` has K or E and the event's class, as Redis's
//! `notifyKeyspaceEvent` does. Handlers report their events through `Ctx::notify`; the
//! databases' own (expiry, creation) come from their logs, published first.

use super::config::{NOTIFY_KEYEVENT, NOTIFY_KEYSPACE};
use super::State;

/// Publishes the event `event` of class `class` on `key` of database `db`.
pub fn publish(st: &mut State, db: usize, class: u32, event: &str, key: &[u8]) {
    let flags = st.config.notify_flags();
    if flags & class == 0 || flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT) == 0 {
        return;
    }
    if flags & NOTIFY_KEYSPACE != 0 {
        let channel = [format!("__keyspace@{db}__:").as_bytes(), key].concat();
        st.pubsub.publish(&mut st.clients, false, &channel, event.as_bytes(), st.clock_ms, &mut st.overflowed);
    }
    if flags & NOTIFY_KEYEVENT != 0 {
        let channel = format!("__keyevent@{db}__:{event}");
        st.pubsub.publish(&mut st.clients, false, channel.as_bytes(), key, st.clock_ms, &mut st.overflowed);
    }
}

/// Whether any notification could be published at all.
pub fn enabled(st: &State) -> bool {
    st.config.notify_flags() & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT) != 0
}
