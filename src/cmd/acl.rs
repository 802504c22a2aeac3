//! ACL: users and their rules (the model is [`crate::acl`]), the security log, DRYRUN.
//! Each subcommand walks its words as Redis's `aclCommand` counts them: extra words are
//! the subcommand syntax error.

use crate::acl::{Acl, Context, Denied, LogEntry, Reason, User};
use crate::cmd::server::help_reply;
use crate::error;
use crate::reply::{CmdResult, Reply};
use crate::server::Ctx;

fn extra_words(ctx: &Ctx<'_>) -> Reply {
    Reply::err_bytes(error::subcommand_syntax("ACL", ctx.argv.get(1).map_or(&b""[..], |w| w)))
}

fn acl<'c>(ctx: &'c mut Ctx<'_>) -> &'c mut Acl {
    let p = ctx.profile();
    ctx.st.acl_mut(&p)
}

/// ACL SETUSER username [rule ...]: all rules or none.
pub fn acl_setuser(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let Some((name, ops)) = words.split_first() else { return Err(extra_words(ctx)) };
    if crate::acl::has_spaces(name) {
        return Err(Reply::err(error::ACL_USERNAME_SPACES));
    }
    let before = acl(ctx).user(name).cloned();
    acl(ctx).set_user(name, ops).map_err(|e| Reply::err_bytes(error::acl_setuser(&e)))?;
    if let Some(old) = before {
        kill_revoked_subscribers(ctx, &old);
    }
    crate::dispatch::effects::acl_changed(ctx.st);
    Ok(Reply::OK)
}

/// Clients of `old`'s user subscribed to a channel or pattern its new rules no longer
/// allow are closed (Redis's `ACLKillPubsubClientsIfNeeded`).
fn kill_revoked_subscribers(ctx: &mut Ctx<'_>, old: &User) {
    let Some(new) = ctx.st.acl.as_ref().and_then(|a| a.user(&old.name)) else { return };
    if new.selectors.iter().any(|s| s.allchannels) {
        return;
    }
    let allowed: Vec<Vec<u8>> = new.selectors.iter().flat_map(|s| s.channels.iter().cloned()).collect();
    let superset = old.selectors.iter().all(|s| !s.allchannels && s.channels.iter().all(|c| allowed.contains(c)));
    if superset {
        return;
    }
    let name = String::from_utf8_lossy(&old.name).into_owned();
    let victims: Vec<u64> = ctx
        .st
        .clients
        .values()
        .filter(|m| m.user == name && m.subs.any())
        .filter(|m| {
            m.subs.patterns.iter().any(|p| !crate::acl::check_channel(&allowed, p, true))
                || m.subs
                    .channels
                    .iter()
                    .chain(m.subs.shard.iter())
                    .any(|c| !crate::acl::check_channel(&allowed, c, false))
        })
        .map(|m| m.id)
        .collect();
    crate::cmd::clients::kill(ctx, &victims);
}

/// ACL DELUSER username [username ...]: the default user cannot go; the clients logged in
/// as a deleted user are closed.
pub fn acl_deluser(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    if words.iter().any(|w| w.as_slice() == b"default") {
        return Err(Reply::err(error::ACL_DELETE_DEFAULT));
    }
    let mut deleted = 0;
    for name in words {
        if acl(ctx).users.remove(name.as_slice()).is_some() {
            deleted += 1;
            let name = String::from_utf8_lossy(name).into_owned();
            let victims: Vec<u64> = ctx.st.clients.values().filter(|m| m.user == name).map(|m| m.id).collect();
            if ctx.sess.user == name {
                ctx.sess.user = "default".into();
                ctx.sess.authenticated = false;
            }
            crate::cmd::clients::kill(ctx, &victims);
        }
    }
    Ok(Reply::Int(deleted))
}

fn bulk_str(s: &str) -> Reply {
    Reply::bulk(s.as_bytes())
}

/// GETUSER's keys, channels and commands of one selector (7.0+: strings; 6.2: arrays).
fn selector_fields(a: &Acl, s: &crate::acl::Selector) -> Vec<(Reply, Reply)> {
    let commands = (bulk_str("commands"), bulk_str(&a.describe_commands(s)));
    if !a.dialect.selectors {
        let list = |all: bool, items: Vec<Vec<u8>>| {
            if all {
                Reply::Array(vec![Reply::bulk("*")])
            } else {
                Reply::Array(items.into_iter().map(Reply::bulk).collect())
            }
        };
        return vec![
            commands,
            (bulk_str("keys"), list(s.allkeys, s.patterns.iter().map(|(_, p)| p.clone()).collect())),
            (bulk_str("channels"), list(s.allchannels, s.channels.clone())),
        ];
    }
    let keys = if s.allkeys {
        b"~*".to_vec()
    } else {
        let pats: Vec<Vec<u8>> = s.patterns.iter().map(|(f, p)| crate::acl::key_pattern(*f, p)).collect();
        pats.join(&b' ')
    };
    let channels = if s.allchannels {
        b"&*".to_vec()
    } else {
        let pats: Vec<Vec<u8>> = s.channels.iter().map(|c| [b"&", c.as_slice()].concat()).collect();
        pats.join(&b' ')
    };
    vec![commands, (bulk_str("keys"), Reply::bulk(keys)), (bulk_str("channels"), Reply::bulk(channels))]
}

/// ACL GETUSER username.
pub fn acl_getuser(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let [name] = words else { return Err(extra_words(ctx)) };
    let a = acl(ctx);
    let Some(u) = a.user(name) else { return Ok(Reply::Nil) };
    let flags = a.flag_names(u, true).into_iter().map(bulk_str).collect();
    let mut m = vec![
        (bulk_str("flags"), Reply::Set(flags)),
        (bulk_str("passwords"), Reply::Array(u.passwords.iter().map(|h| bulk_str(h)).collect())),
    ];
    m.extend(selector_fields(a, u.root()));
    if a.dialect.selectors {
        let others = u.selectors[1..].iter().map(|s| Reply::Map(selector_fields(a, s))).collect();
        m.push((bulk_str("selectors"), Reply::Array(others)));
    }
    Ok(Reply::Map(m))
}

/// ACL LIST: every user as a config-file line.
pub fn acl_list(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    if !words.is_empty() {
        return Err(extra_words(ctx));
    }
    let a = acl(ctx);
    let lines = a
        .users
        .values()
        .map(|u| Reply::bulk([b"user ", u.name.as_slice(), b" ", &a.describe_user(u)].concat()))
        .collect();
    Ok(Reply::Array(lines))
}

/// ACL USERS.
pub fn acl_users(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    if !words.is_empty() {
        return Err(extra_words(ctx));
    }
    Ok(Reply::Array(acl(ctx).users.keys().map(|n| Reply::bulk(n.clone())).collect()))
}

/// ACL WHOAMI.
pub fn acl_whoami(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    if !words.is_empty() {
        return Err(extra_words(ctx));
    }
    Ok(Reply::bulk(ctx.sess.user.as_bytes()))
}

/// `ACL CAT [category]`: the categories, or a category's commands and subcommands.
pub fn acl_cat(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let a = acl(ctx);
    let t = &a.table;
    match words {
        [] => Ok(Reply::Array(t.categories.iter().map(|c| bulk_str(c)).collect())),
        [cat] => {
            let Some(j) = t.categories.iter().position(|c| c.as_bytes().eq_ignore_ascii_case(cat)) else {
                return Err(Reply::err_bytes(error::acl_unknown_category(cat)));
            };
            let names = (0..t.cmds.len()).filter(|&i| t.cats[i] & (1 << j) != 0).map(|i| bulk_str(t.cmds[i].fullname));
            Ok(Reply::Array(names.collect()))
        }
        _ => Err(extra_words(ctx)),
    }
}

/// `ACL GENPASS [bits]`: random hex, four bits a digit.
pub fn acl_genpass(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let bits = match words {
        [] => 256,
        [b] => crate::spec::grammar::parse_i64(b).ok_or(Reply::err(error::NOT_INTEGER))?,
        _ => return Err(extra_words(ctx)),
    };
    if !(1..=4096).contains(&bits) {
        return Err(Reply::err(error::ACL_GENPASS_RANGE));
    }
    let chars = (bits + 3) / 4;
    let mut out = String::with_capacity(chars as usize);
    while out.len() < chars as usize {
        let r = ctx.st.next_random();
        out.extend(format!("{r:016x}").chars().take(chars as usize - out.len()));
    }
    Ok(Reply::bulk(out.into_bytes()))
}

/// ACL LOG [count | RESET].
pub fn acl_log(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let count = match words {
        [] => 10,
        [w] if w.eq_ignore_ascii_case(b"reset") => {
            acl(ctx).log.clear();
            return Ok(Reply::OK);
        }
        [w] => crate::spec::grammar::parse_i64(w).ok_or(Reply::err(error::NOT_INTEGER))?.max(0),
        _ => return Err(extra_words(ctx)),
    };
    let now = ctx.now;
    let a = acl(ctx);
    let ids = a.dialect.keeps_rules;
    let entries = a
        .log
        .iter()
        .take(usize::try_from(count).unwrap_or(usize::MAX))
        .map(|e| {
            let mut m = vec![
                (bulk_str("count"), Reply::Int(e.count as i64)),
                (bulk_str("reason"), bulk_str(e.reason.name())),
                (bulk_str("context"), bulk_str(e.context.name())),
                (bulk_str("object"), Reply::bulk(e.object.clone())),
                (bulk_str("username"), Reply::bulk(e.username.clone())),
                (bulk_str("age-seconds"), Reply::Double((now - e.ctime) as f64 / 1000.0)),
                (bulk_str("client-info"), bulk_str(&e.client_info)),
            ];
            if ids {
                m.push((bulk_str("entry-id"), Reply::Int(e.entry_id)));
                m.push((bulk_str("timestamp-created"), Reply::Int(e.created)));
                m.push((bulk_str("timestamp-last-updated"), Reply::Int(e.ctime)));
            }
            Reply::Map(m)
        })
        .collect();
    Ok(Reply::Array(entries))
}

/// ACL DRYRUN username command [arg ...]: whether the user could run it.
pub fn acl_dryrun(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    let Some((name, argv)) = words.split_first() else { return Err(extra_words(ctx)) };
    let p = ctx.profile();
    if acl(ctx).user(name).is_none() {
        return Err(Reply::err_bytes(error::acl_dryrun_no_user(name)));
    }
    let cmd =
        crate::dispatch::resolve(&p, argv).map_err(|_| Reply::err_bytes(error::acl_dryrun_no_command(&argv[0])))?;
    if !cmd.arity_ok(&p, argv.len()) {
        return Err(Reply::err(format!("ERR wrong number of arguments for '{}' command", cmd.fullname)));
    }
    match acl(ctx).check(name, cmd, argv, &p) {
        Ok(()) => Ok(Reply::OK),
        Err(d) => {
            let arg = argv.get(d.pos()).map_or(&b""[..], |a| a);
            Ok(Reply::bulk(error::acl_dryrun_denied(&p, d, name, cmd.fullname, arg)))
        }
    }
}

/// ACL LOAD: the fake has no ACL file.
pub fn acl_load(ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    let _ = ctx;
    Err(Reply::err(error::ACL_NO_FILE))
}

/// ACL SAVE: the fake has no ACL file.
pub fn acl_save(ctx: &mut Ctx<'_>, _words: &[Vec<u8>]) -> CmdResult {
    let _ = ctx;
    Err(Reply::err(error::ACL_NO_FILE))
}

/// ACL HELP.
pub fn acl_help(ctx: &mut Ctx<'_>, words: &[Vec<u8>]) -> CmdResult {
    if !words.is_empty() {
        return Err(extra_words(ctx));
    }
    let v7 = ctx.profile().redis_at_least(7, 0);
    let mut lines = vec![
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
    ];
    if v7 {
        lines.extend([
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
        ]);
    }
    lines.extend([
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
    ]);
    Ok(help_reply("ACL", &lines))
}

/// Records a refusal in ACL LOG (the object: the command, key, channel or, for AUTH, the
/// command as typed), for the current client.
pub fn log_denied(ctx: &mut Ctx<'_>, reason: Reason, context: Context, object: Vec<u8>, username: Vec<u8>) {
    let info = crate::cmd::connection::client_info_string(ctx);
    let (now, max) = (ctx.now, usize::try_from(ctx.st.config.get_i64("acllog-max-len")).unwrap_or(0));
    let e = LogEntry {
        count: 1,
        reason,
        context,
        object,
        username,
        ctime: now,
        created: now,
        entry_id: 0,
        client_info: info,
    };
    ctx.st.stats.acl_denied[reason as usize] += 1;
    acl(ctx).log_event(e, max);
}

/// The log's object for a refusal of `argv`.
pub fn denied_object(d: Denied, fullname: &str, argv: &[Vec<u8>]) -> Vec<u8> {
    match d {
        Denied::Cmd => fullname.as_bytes().to_vec(),
        Denied::Key(i) | Denied::Channel(i) => argv.get(i).cloned().unwrap_or_default(),
    }
}

/// Where a refusal happened, for ACL LOG: a script, a transaction (queued or run), or the
/// top level.
pub fn log_context(ctx: &Ctx<'_>) -> Context {
    match ctx.caller {
        crate::dispatch::Caller::Script { .. } => Context::Lua,
        crate::dispatch::Caller::Exec => Context::Multi,
        _ if ctx.sess.multi.is_some() => Context::Multi,
        _ => Context::Toplevel,
    }
}
