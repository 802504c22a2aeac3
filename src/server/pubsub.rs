//! The pub/sub registry: who listens to which channel, pattern and shard channel, and the
//! delivery of a message to every listener's outbound queue.

use std::collections::HashMap;

use bytes::Bytes;

use super::clients::ClientMeta;
use crate::reply::Reply;

/// Which family a subscription belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    /// The confirmation words: `subscribe`/`unsubscribe`, `psubscribe`/... and `ssubscribe`/...
    pub fn verbs(self) -> (&'static str, &'static str) {
        match self {
            Kind::Channel => ("subscribe", "unsubscribe"),
            Kind::Pattern => ("psubscribe", "punsubscribe"),
            Kind::Shard => ("ssubscribe", "sunsubscribe"),
        }
    }
}

/// One client's subscriptions, each family in the order it subscribed.
#[derive(Debug, Clone, Default)]
pub struct Subscriptions {
    pub channels: Vec<Bytes>,
    pub patterns: Vec<Bytes>,
    pub shard: Vec<Bytes>,
}

impl Subscriptions {
    pub fn of(&self, kind: Kind) -> &Vec<Bytes> {
        match kind {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
            Kind::Shard => &self.shard,
        }
    }

    fn of_mut(&mut self, kind: Kind) -> &mut Vec<Bytes> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    /// The count a (un)subscribe confirmation reports: channels and patterns together, or
    /// the shard channels alone.
    pub fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Shard => self.shard.len(),
            _ => self.channels.len() + self.patterns.len(),
        }
    }

    /// Whether the client is in subscribed mode (any subscription at all).
    pub fn any(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty())
    }
}

/// Every subscription on the server: for each channel, pattern and shard channel, its
/// subscribers in the order they subscribed.
#[derive(Debug, Default)]
pub struct PubSub {
    channels: HashMap<Bytes, Vec<u64>>,
    /// Patterns in the order they were first subscribed.
    patterns: Vec<(Bytes, Vec<u64>)>,
    shard: HashMap<Bytes, Vec<u64>>,
}

impl PubSub {
    fn map(&mut self, kind: Kind) -> &mut HashMap<Bytes, Vec<u64>> {
        if kind == Kind::Shard {
            &mut self.shard
        } else {
            &mut self.channels
        }
    }

    /// Subscribes `client` to `name`; false if it already was.
    pub fn subscribe(&mut self, client: &mut ClientMeta, kind: Kind, name: &[u8]) -> bool {
        let mine = client.subs.of_mut(kind);
        if mine.iter().any(|c| c == name) {
            return false;
        }
        let name = Bytes::copy_from_slice(name);
        mine.push(name.clone());
        let list = match kind {
            Kind::Pattern => match self.patterns.iter_mut().position(|(p, _)| *p == name) {
                Some(i) => &mut self.patterns[i].1,
                None => {
                    self.patterns.push((name, Vec::new()));
                    &mut self.patterns.last_mut().expect("just pushed").1
                }
            },
            _ => self.map(kind).entry(name).or_default(),
        };
        list.push(client.id);
        true
    }

    /// Unsubscribes `client` from `name`; false if it was not subscribed.
    pub fn unsubscribe(&mut self, client: &mut ClientMeta, kind: Kind, name: &[u8]) -> bool {
        let mine = client.subs.of_mut(kind);
        let Some(i) = mine.iter().position(|c| c == name) else { return false };
        mine.remove(i);
        let id = client.id;
        match kind {
            Kind::Pattern => {
                if let Some(i) = self.patterns.iter().position(|(p, _)| p == name) {
                    self.patterns[i].1.retain(|&c| c != id);
                    if self.patterns[i].1.is_empty() {
                        self.patterns.remove(i);
                    }
                }
            }
            _ => {
                let map = self.map(kind);
                if let Some(list) = map.get_mut(name) {
                    list.retain(|&c| c != id);
                    if list.is_empty() {
                        map.remove(name);
                    }
                }
            }
        }
        true
    }

    /// Drops every subscription of a client that is going away.
    pub fn forget(&mut self, client: &mut ClientMeta) {
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for name in client.subs.of(kind).clone() {
                self.unsubscribe(client, kind, &name);
            }
        }
    }

    /// The channels (or shard channels) with at least one subscriber.
    pub fn channel_names(&self, shard: bool) -> impl Iterator<Item = &Bytes> {
        if shard { &self.shard } else { &self.channels }.keys()
    }

    /// How many clients subscribe to `name` (a channel or a shard channel).
    pub fn subscribers(&self, shard: bool, name: &[u8]) -> usize {
        if shard { &self.shard } else { &self.channels }.get(name).map_or(0, Vec::len)
    }

    /// How many distinct patterns are subscribed.
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Delivers `message` on `channel` to its subscribers, then to every client whose
    /// pattern matches (once per matching pattern); how many deliveries were made.
    pub fn publish(
        &self,
        clients: &mut std::collections::BTreeMap<u64, ClientMeta>,
        shard: bool,
        channel: &[u8],
        message: &[u8],
        now: i64,
        overflowed: &mut Vec<u64>,
    ) -> usize {
        let mut n = 0;
        let chan = Bytes::copy_from_slice(channel);
        let msg = Bytes::copy_from_slice(message);
        let (verb, direct) = if shard { ("smessage", &self.shard) } else { ("message", &self.channels) };
        for id in direct.get(channel).into_iter().flatten() {
            if let Some(c) = clients.get_mut(id) {
                let closed = c.push(
                    Reply::Push(vec![
                        Reply::Bulk(Bytes::from_static(verb.as_bytes())),
                        Reply::Bulk(chan.clone()),
                        Reply::Bulk(msg.clone()),
                    ]),
                    now,
                );
                if closed {
                    overflowed.push(*id);
                }
                n += 1;
            }
        }
        if shard {
            return n;
        }
        for (pattern, ids) in &self.patterns {
            if !crate::glob::matches(pattern, channel, false) {
                continue;
            }
            for id in ids {
                if let Some(c) = clients.get_mut(id) {
                    let closed = c.push(
                        Reply::Push(vec![
                            Reply::Bulk(Bytes::from_static(b"pmessage")),
                            Reply::Bulk(pattern.clone()),
                            Reply::Bulk(chan.clone()),
                            Reply::Bulk(msg.clone()),
                        ]),
                        now,
                    );
                    if closed {
                        overflowed.push(*id);
                    }
                    n += 1;
                }
            }
        }
        n
    }
}
