//! Every error text the fake sends, in one place, exactly as the emulated server sends it
//! (without the leading `-`). Texts that differ between servers or versions are functions
//! of the [`Profile`].

use crate::spec::{Profile, ServerKind};

pub const SYNTAX: &str = "ERR syntax error";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const BIT_OFFSET_NOT_INTEGER: &str = "ERR bit offset is not an integer or out of range";
pub const BIT_NOT_INTEGER: &str = "ERR bit is not an integer or out of range";
pub const BIT_ARGUMENT: &str = "ERR The bit argument must be 1 or 0.";
pub const BITFIELD_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
pub const BITFIELD_OVERFLOW_TYPE: &str = "ERR Invalid OVERFLOW type specified";
pub const BITFIELD_RO_GET_ONLY: &str = "ERR BITFIELD_RO only supports the GET subcommand";
pub const HLL_WRONGTYPE: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
pub const HLL_INVALID: &str = "INVALIDOBJ Corrupted HLL object detected";
pub const HLL_NOT_SPARSE: &str = "ERR HLL encoding is not sparse";
pub const PFDEBUG_NO_KEY: &str = "ERR The specified key does not exist";
pub const PFDEBUG_SIMD_ARGUMENT: &str = "ERR Argument must be ON or OFF";
pub const PFSELFTEST_NOT_SPARSE: &str = "ERR TESTFAILED sparse encoding not used";
pub const PFSELFTEST_DISAGREE: &str = "ERR TESTFAILED dense/sparse disagree";

/// PFDEBUG with a subcommand it does not know (the word as C's `%s` prints it).
pub fn pfdebug_unknown(sub: &[u8]) -> Vec<u8> {
    sanitize_bytes(format!("ERR Unknown PFDEBUG subcommand '{}'", c_str(sub)).into_bytes())
}

/// PFDEBUG with words after the key (Redis 6.2, whose arity is -3).
pub fn pfdebug_arity(sub: &[u8]) -> String {
    sanitize(format!("ERR Wrong number of arguments for the '{}' subcommand", c_str(sub)))
}

/// PFSELFTEST's register check failing.
pub fn pfselftest_register(i: usize, want: u8, got: u8) -> String {
    format!("ERR TESTFAILED Register {i} should be {want} but is {got}")
}

/// PFSELFTEST's estimate off by more than six standard errors.
pub fn pfselftest_error(card: u64, abserr: u64) -> String {
    format!("ERR TESTFAILED Too big error. card:{card} abserr:{abserr}")
}
pub const BITOP_NOT_ONE_KEY: &str = "ERR BITOP NOT must be called with a single source key.";

/// BITOP DIFF, DIFF1 or ANDOR with one source key (the operation as given, upper-cased).
pub fn bitop_two_keys(op: &str) -> String {
    format!("ERR BITOP {} must be called with at least two source keys.", op.to_ascii_uppercase())
}
/// LOLWUT's versions 5 and 6 draw random art (Schotter, skyscrapers).
pub const LOLWUT_ART: &str = "ERR LOLWUT's drawings of versions 5 and 6 are not implemented by fakeredis yet";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const NO_SUCH_KEY: &str = "ERR no such key";
pub const DB_INDEX_OUT_OF_RANGE: &str = "ERR DB index is out of range";
pub const INVALID_FIRST_DB: &str = "ERR invalid first DB index";
pub const INVALID_SECOND_DB: &str = "ERR invalid second DB index";
pub const SAME_OBJECT: &str = "ERR source and destination objects are the same";
pub const NOAUTH: &str = "NOAUTH Authentication required.";
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
pub const AUTH_NOT_CONFIGURED: &str =
    "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
pub const NOPROTO: &str = "NOPROTO unsupported protocol version";
pub const PROTOVER_NOT_INTEGER: &str = "ERR Protocol version is not an integer or out of range";
pub const INCR_OVERFLOW: &str = "ERR increment or decrement would overflow";
pub const INCRFLOAT_NAN: &str = "ERR increment would produce NaN or Infinity";
pub const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
pub const OFFSET_OUT_OF_RANGE: &str = "ERR offset is out of range";
pub const INVALID_CURSOR: &str = "ERR invalid cursor";
pub const CLIENT_NAME_SPACES: &str = "ERR Client names cannot contain spaces, newlines or special characters.";
pub const EXPIRE_NX_CONFLICT: &str = "ERR NX and XX, GT or LT options at the same time are not compatible";
pub const EXPIRE_GT_LT_CONFLICT: &str = "ERR GT and LT options at the same time are not compatible";
pub const LCS_IDX_AND_LEN: &str = "ERR If you want both the length and indexes, please just use IDX.";
pub const CONNECTION_DROPPED: &str = "connection dropped (simulated by fakeredis)";
pub const INVALID_CLIENT_ID: &str = "ERR Invalid client ID";
pub const HELLO_NOAUTH: &str = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time";
pub const DECR_OVERFLOW: &str = "ERR decrement would overflow";
pub const LCS_NOT_STRINGS: &str = "ERR The specified keys must contain string values";
pub const MAX_CLIENTS: &str = "ERR max number of clients reached";
/// An allocation the host could not make (Redis would abort the process instead).
pub const ALLOC_FAILED: &str = "OOM fakeredis could not allocate the memory this command needs";
pub const LCS_STRING_TOO_LONG: &str = "ERR String too long for LCS";
pub const LCS_ALLOC_FAILED: &str = "ERR Insufficient memory, failed allocating transient memory for LCS";
pub const LCS_TOO_BIG: &str = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
pub const SET_DIGEST_UNSUPPORTED: &str = "ERR IFDEQ/IFDNE (value digests) are not supported by fakeredis yet";
pub const NO_CONFIG_FILE: &str = "ERR The server is running without a config file";
pub const GETKEYS_INVALID_COMMAND: &str = "ERR Invalid command specified";
pub const GETKEYS_BAD_ARITY: &str = "ERR Invalid number of arguments specified for command";
pub const GETKEYS_INVALID_ARGS: &str = "ERR Invalid arguments specified for command";
pub const GETKEYS_NO_KEYS: &str = "ERR The command has no key arguments";
pub const LFU_NOT_SELECTED: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
pub const LFU_SELECTED: &str = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
pub const MSETNX_ARITY: &str = "ERR wrong number of arguments for 'msetnx' command";
pub const MSET_ARITY: &str = "ERR wrong number of arguments for 'mset' command";
pub const INDEX_OUT_OF_RANGE: &str = "ERR index out of range";
pub const LPOS_COUNT_NEGATIVE: &str = "ERR COUNT can't be negative";
pub const LPOS_MAXLEN_NEGATIVE: &str = "ERR MAXLEN can't be negative";
/// Redis's `getPositiveLongFromObjectOrReply` without a message of its own.
pub const MUST_BE_POSITIVE: &str = "ERR value is out of range, must be positive";
pub const NUMKEYS_GT0: &str = "ERR numkeys should be greater than 0";
pub const COUNT_GT0: &str = "ERR count should be greater than 0";
pub const LPOP_ARITY: &str = "ERR wrong number of arguments for 'lpop' command";
pub const RPOP_ARITY: &str = "ERR wrong number of arguments for 'rpop' command";
pub const HSET_ARITY: &str = "ERR wrong number of arguments for 'hset' command";
pub const HMSET_ARITY: &str = "ERR wrong number of arguments for 'hmset' command";
pub const HASH_NOT_INTEGER: &str = "ERR hash value is not an integer";
pub const HASH_NOT_FLOAT: &str = "ERR hash value is not a float";
pub const HINCRBYFLOAT_NAN_INCR: &str = "ERR value is NaN or Infinity";
/// HRANDFIELD's and ZRANDMEMBER's WITHVALUES/WITHSCORES count limit (half of i64).
pub const VALUE_OUT_OF_RANGE: &str = "ERR value is out of range";
/// A random pick with repetition past `collection::MAX_RANDOM_REPLY` elements.
pub const RANDOM_REPLY_TOO_LARGE: &str =
    "ERR fakeredis refuses to build a reply of more than 16777216 random elements (Redis would run out of memory)";
pub const SINTERCARD_KEYS: &str = "ERR Number of keys can't be greater than number of args";
pub const LIMIT_NEGATIVE: &str = "ERR LIMIT can't be negative";
pub const MIN_MAX_NOT_FLOAT: &str = "ERR min or max is not a float";
pub const MIN_MAX_NOT_STRING_RANGE: &str = "ERR min or max not valid string range item";
pub const ZADD_NX_XX: &str = "ERR XX and NX options at the same time are not compatible";
pub const ZADD_GT_LT_NX: &str = "ERR GT, LT, and/or NX options at the same time are not compatible";
pub const ZADD_INCR_PAIR: &str = "ERR INCR option supports a single increment-element pair";
pub const ZADD_NAN: &str = "ERR resulting score is not a number (NaN)";

// Geo commands (geo.c).
pub const GEO_NEED_RADIUS: &str = "ERR need numeric radius";
pub const GEO_RADIUS_NEGATIVE: &str = "ERR radius cannot be negative";
pub const GEO_NEED_WIDTH: &str = "ERR need numeric width";
pub const GEO_NEED_HEIGHT: &str = "ERR need numeric height";
pub const GEO_BOX_NEGATIVE: &str = "ERR height or width cannot be negative";
pub const GEO_UNDECODABLE_MEMBER: &str = "ERR could not decode requested zset member";
pub const GEO_COUNT_POSITIVE: &str = "ERR COUNT must be > 0";
pub const GEO_ANY_NEEDS_COUNT: &str = "ERR the ANY argument requires COUNT argument";

/// A longitude or latitude outside the WGS84 limits: both numbers as C's `%f` writes them.
pub fn geo_invalid_pair(lon: f64, lat: f64) -> String {
    let f = |v: f64| if v.is_nan() { "nan".to_string() } else { format!("{v:.6}") };
    format!("ERR invalid longitude,latitude pair {},{}", f(lon), f(lat))
}

/// A unit that is not m, km, ft or mi (matched case-insensitively from 7.0).
pub fn geo_unsupported_unit(p: &Profile) -> &'static str {
    if p.redis_at_least(7, 0) {
        "ERR unsupported unit provided. please use M, KM, FT, MI"
    } else {
        "ERR unsupported unit provided. please use m, km, ft, mi"
    }
}

/// STORE / STOREDIST (or GEOSEARCHSTORE) with WITHDIST, WITHHASH or WITHCOORD.
pub fn geo_store_with_options(p: &Profile, searchstore: bool) -> &'static str {
    match (p.redis_at_least(7, 0), searchstore) {
        (false, _) => "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORDS options",
        (true, true) => "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        (true, false) => {
            "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        }
    }
}

/// GEOSEARCH without FROMMEMBER or FROMLONLAT (`cmd`: the command's name as typed).
pub fn geo_exactly_one_from(cmd: &[u8]) -> Vec<u8> {
    sanitize_bytes(
        [b"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ".as_slice(), c_bytes(cmd)].concat(),
    )
}

/// GEOSEARCH without BYRADIUS or BYBOX.
pub fn geo_exactly_one_by(cmd: &[u8]) -> Vec<u8> {
    sanitize_bytes([b"ERR exactly one of BYRADIUS and BYBOX can be specified for ".as_slice(), c_bytes(cmd)].concat())
}
pub const ZRANGE_LIMIT_NEEDS_BY: &str =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
pub const ZRANGE_WITHSCORES_BYLEX: &str = "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
pub const WEIGHT_NOT_FLOAT: &str = "ERR weight value is not a float";
pub const NOSCORES_ONLY_ZSCAN: &str = "ERR NOSCORES option can only be used in ZSCAN";
pub const NOVALUES_ONLY_HSCAN: &str = "ERR NOVALUES option can only be used in HSCAN";
pub const SORT_NOT_DOUBLE: &str = "ERR One or more scores can't be converted into double";
pub const EXPIRE_TIME_NEGATIVE: &str = "ERR invalid expire time, must be >= 0";
pub const FIELDS_MISSING: &str = "ERR Mandatory argument FIELDS is missing or not at the right position";
pub const NUMFIELDS_POSITIVE_HEXPIRE: &str = "ERR Parameter `numFields` should be greater than 0";
pub const NUMFIELDS_POSITIVE: &str = "ERR Number of fields must be a positive integer";
pub const NUMFIELDS_MISMATCH: &str = "ERR The `numfields` parameter must match the number of arguments";
pub const VALKEY_NUMFIELDS: &str = "ERR numfields should be greater than 0 and match the provided number of fields";
pub const HSETEX_FNX_FXX: &str = "ERR Only one of FXX or FNX arguments can be specified";
pub const HSETEX_ONE_EXPIRY: &str = "ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified";
pub const HSETEX_MISSING_TIME: &str = "ERR missing expire time";
pub const HSETEX_NUMFIELDS: &str = "ERR invalid number of fields";
pub const SCRIPT_UNKNOWN_COMMAND: &str = "ERR Unknown Redis command called from script";
pub const SCRIPT_WRONG_ARITY: &str = "ERR Wrong number of args calling Redis command from script";
pub const SCRIPT_NOT_ALLOWED: &str = "ERR This Redis command is not allowed from script";
pub const SCRIPT_READ_ONLY: &str = "ERR Write commands are not allowed from read-only scripts.";
pub const SCRIPT_NO_ARGS: &str = "ERR Please specify at least one argument for this redis lib call";
pub const SCRIPT_BAD_ARG: &str = "ERR Lua redis lib command arguments must be strings or integers";
pub const SCRIPT_WRONG_ARGS: &str = "ERR wrong number or type of arguments";
pub const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";
/// Redis 6.2's texts for a `redis.call` its script layer refuses (raised without a code,
/// after the calling line: `@user_script: 1: ...`). Dragonfly shares the argument ones.
pub const LEGACY_SCRIPT_UNKNOWN: &str = "Unknown Redis command called from Lua script";
pub const LEGACY_SCRIPT_ARITY: &str = "Wrong number of args calling Redis command From Lua script";
pub const LEGACY_SCRIPT_NOT_ALLOWED: &str = "This Redis command is not allowed from scripts";
pub const LEGACY_SCRIPT_NO_ARGS: &str = "Please specify at least one argument for redis.call()";
pub const LEGACY_SCRIPT_BAD_ARG: &str = "Lua redis() command arguments must be strings or integers";
/// Dragonfly's own refusals inside a script.
pub const DF_SCRIPT_NAME_TOO_LONG: &str = "Lua redis() command name too long";
pub const DF_SCRIPT_NOT_ALLOWED: &str = "ERR This Redis command is not allowed from script";
pub const DF_UNDECLARED_KEY: &str = "ERR script tried accessing undeclared key";
pub const DF_SCRIPT_FLAGS: &str = "ERR Invalid config format: ";
pub const NUMKEYS_TOO_MANY: &str = "ERR Number of keys can't be greater than number of args";
pub const NUMKEYS_NEGATIVE: &str = "ERR Number of keys can't be negative";
pub const SCRIPT_ACL_CHECK_UNKNOWN: &str = "ERR Invalid command passed to redis.acl_check_cmd()";
pub const LOG_ARGS: &str = "ERR redis.log() requires two arguments or more.";
pub const LOG_LEVEL_TYPE: &str = "ERR First argument must be a number (log level).";
pub const LOG_LEVEL: &str = "ERR Invalid debug level.";
pub const SETRESP_ARGS: &str = "ERR redis.setresp() requires one argument.";
pub const SETRESP_VERSION: &str = "ERR RESP version must be 2 or 3.";
pub const FUNCTION_NOT_FOUND: &str = "ERR Function not found";
pub const FUNCTION_NUMKEYS: &str = "ERR Bad number of keys provided";
/// A script that may write, called through EVAL_RO, EVALSHA_RO or FCALL_RO.
pub const SCRIPT_WRITE_FLAG_RO: &str = "ERR Can not execute a script with write flag using *_ro command.";
/// Library and function names (Redis says "Library" for both).
pub const FUNCTION_BAD_NAME: &str =
    "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
pub const FUNCTION_FLUSH_OPTION: &str = "ERR FUNCTION FLUSH only supports SYNC|ASYNC option";
pub const FUNCTION_RESTORE_POLICY: &str =
    "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.";
pub const FUNCTION_CODE_MISSING: &str = "ERR Function code is missing";
pub const FUNCTION_LIST_NO_NAME: &str = "ERR library name argument was not given";
pub const LIBRARY_NOT_FOUND: &str = "ERR Library not found";
pub const DUMP_PAYLOAD_BAD: &str = "ERR DUMP payload version or checksum are wrong";
pub const BUSY_EVAL: &str = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
pub const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
pub const UNKILLABLE: &str = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";
pub const SCRIPT_KILLED: &str = "Script killed by user with SCRIPT KILL...";
pub const NOTBUSY: &str = "NOTBUSY No scripts in execution right now.";
pub const SHEBANG_INVALID: &str = "ERR Invalid script shebang";
pub const SHEBANG_NO_ENGINE: &str = "ERR Invalid engine in script shebang";
pub const SCRIPT_FLUSH_OPTION: &str = "ERR SCRIPT FLUSH only support SYNC|ASYNC option";
/// A script stopped by the fake's time limit (Redis would answer others BUSY instead).
pub const SCRIPT_TOO_LONG: &str =
    "fakeredis stopped a script that ran for 60 seconds (a safety net of the fake: Redis lets it run until SCRIPT KILL)";
pub const PING_ARITY: &str = "ERR wrong number of arguments for 'ping' command";

// Parser error templates named by `commands/overlay/errors.json`; `{word}` is the word the
// parser stopped at, as the client sent it.
pub const UNSUPPORTED_OPTION: &str = "ERR Unsupported option {word}";
pub const SCRIPT_DEBUG_MODE: &str = "ERR Use SCRIPT DEBUG YES/SYNC/NO";
pub const SCRIPT_DEBUG_PIPELINE: &str = "ERR SCRIPT DEBUG must be called outside a pipeline";
pub const HELLO_SYNTAX: &str = "ERR Syntax error in HELLO option '{word}'";
pub const UNRECOGNIZED_OPTION: &str = "ERR Unrecognized option '{word}'";

/// HSETEX's unknown option.
pub fn unknown_argument(word: &[u8]) -> Vec<u8> {
    sanitize_bytes([b"ERR unknown argument: ".as_slice(), word].concat())
}

/// LPOS with `RANK 0` (7.0 added the hint about negative ranks).
pub fn lpos_rank_zero(p: &Profile) -> &'static str {
    if p.redis_at_least(7, 0) {
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
    } else {
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second, ..."
    }
}

/// ZUNION/ZINTER/ZDIFF (and their STORE forms, ZINTERCARD) with numkeys below 1.
pub fn at_least_one_key(p: &Profile, cmd: &str) -> String {
    if p.redis_at_least(7, 0) {
        format!("ERR at least 1 input key is needed for '{cmd}' command")
    } else {
        format!("ERR at least 1 input key is needed for {cmd}")
    }
}

/// A number outside an argument's range (Redis's `getRangeLongFromObjectOrReply`).
pub fn out_of_range(min: i64, max: i64) -> String {
    format!("ERR value is out of range, value must between {min} and {max}")
}

/// `ERR invalid expire time in 'set' command`.
pub fn invalid_expire(cmd: &str) -> String {
    format!("ERR invalid expire time in '{cmd}' command")
}

/// The reply to a command the server lacks; `argv[0]` is the command name. Redis prints
/// the client's bytes as they are (`%s`: up to a NUL byte), cut at byte boundaries.
pub fn unknown_command(p: &Profile, argv: &[Vec<u8>]) -> Vec<u8> {
    let name = c_bytes(argv.first().map(Vec::as_slice).unwrap_or(b""));
    if p.kind == ServerKind::Dragonfly {
        return sanitize_bytes([b"ERR unknown command `".as_slice(), &name.to_ascii_uppercase(), b"`"].concat());
    }
    // Redis appends each argument while the list is under 128 bytes, each cut to what
    // still fits.
    let modern = p.redis_at_least(7, 0);
    let mut args: Vec<u8> = Vec::new();
    for a in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        let a = c_bytes(a);
        let cut = &a[..a.len().min(room)];
        let (open, close): (&[u8], &[u8]) = if modern { (b"'", b"' ") } else { (b"`", b"`, ") };
        args.extend_from_slice(open);
        args.extend_from_slice(cut);
        args.extend_from_slice(close);
    }
    let mut text = Vec::with_capacity(64 + name.len() + args.len());
    if modern {
        text.extend_from_slice(b"ERR unknown command '");
        text.extend_from_slice(&name[..name.len().min(128)]);
        text.extend_from_slice(b"', with args beginning with: ");
    } else {
        text.extend_from_slice(b"ERR unknown command `");
        text.extend_from_slice(name);
        text.extend_from_slice(b"`, with args beginning with: ");
    }
    text.extend_from_slice(&args);
    sanitize_bytes(text)
}

/// The reply to an unknown subcommand of a container (the client's bytes as they are).
pub fn unknown_subcommand(p: &Profile, container: &str, sub: &[u8]) -> Vec<u8> {
    let sub = c_bytes(sub);
    let sub = &sub[..sub.len().min(128)];
    let upper = container.to_ascii_uppercase();
    if p.kind == ServerKind::Dragonfly {
        return dragonfly_unknown_subcommand(&upper, sub);
    }
    let (head, tail) = if !p.redis_at_least(7, 0) {
        ("ERR Unknown subcommand or wrong number of arguments for '".to_string(), format!("'. Try {upper} HELP."))
    } else {
        ("ERR unknown subcommand '".to_string(), format!("'. Try {upper} HELP."))
    };
    sanitize_bytes([head.as_bytes(), sub, tail.as_bytes()].concat())
}

/// Dragonfly has no subcommand table: each container's handler answers a word it does not
/// know, most with one shared text (the word upper-cased, MEMORY and JSON.DEBUG aside).
fn dragonfly_unknown_subcommand(container: &str, sub: &[u8]) -> Vec<u8> {
    match container {
        "COMMAND" | "DFLY" | "XGROUP" | "MODULE" => SYNTAX.as_bytes().to_vec(),
        "ACL" => b"ERR unknown command `ACL`".to_vec(),
        "FT.CONFIG" => DRAGONFLY_FT_CONFIG_UNKNOWN.as_bytes().to_vec(),
        _ => {
            let word =
                if matches!(container, "MEMORY" | "JSON.DEBUG") { sub.to_vec() } else { sub.to_ascii_uppercase() };
            let head = b"ERR Unknown subcommand or wrong number of arguments for '".as_slice();
            sanitize_bytes([head, &word, format!("'. Try {container} HELP.").as_bytes()].concat())
        }
    }
}

/// Dragonfly's FT.CONFIG with a word it does not know.
pub const DRAGONFLY_FT_CONFIG_UNKNOWN: &str = "ERR Unknown subcommand";

/// Dragonfly's COMMAND DOCS (it keeps no docs, so that interactive clients use their own).
pub const DRAGONFLY_COMMAND_DOCS: &str = "ERR COMMAND DOCS Not Implemented";

/// The reply to a wrong number of arguments; `fullname` is `get` or `client|setname`,
/// `typed` the subcommand word as the client sent it (Redis before 7.0 quotes it).
pub fn wrong_arity(p: &Profile, fullname: &str, typed: Option<&[u8]>) -> String {
    if let Some((container, sub)) = fullname.split_once('|') {
        if !p.redis_at_least(7, 0) {
            let sub = typed.map(c_str).unwrap_or_else(|| sub.to_string());
            return sanitize(format!(
                "ERR Unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
                container.to_ascii_uppercase()
            ));
        }
    }
    format!("ERR wrong number of arguments for '{fullname}' command")
}

/// CONFIG SET naming a parameter the server lacks (`%s`: up to a NUL, CR and LF as spaces).
pub fn config_set_unknown(name: &[u8]) -> Vec<u8> {
    let mut t = b"ERR Unknown option or number of arguments for CONFIG SET - '".to_vec();
    t.extend_from_slice(c_bytes(name));
    t.push(b'\'');
    sanitize_bytes(t)
}

/// CONFIG SET refusing a parameter (immutable, repeated) or its value.
pub fn config_set_failed(name: &[u8], why: &str) -> Vec<u8> {
    let mut t = b"ERR CONFIG SET failed (possibly related to argument '".to_vec();
    t.extend_from_slice(c_bytes(name));
    t.extend_from_slice(format!("') - {why}").as_bytes());
    sanitize_bytes(t)
}

/// The reply to a command that has a spec but no handler yet.
pub fn not_implemented(fullname: &str) -> String {
    format!("ERR command '{fullname}' is not implemented by fakeredis yet")
}

/// What C's `%s` prints of a byte string: up to the first NUL.
pub fn c_bytes(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..end]
}

/// What C's `%s` prints of a byte string: up to the first NUL, lossily as UTF-8.
fn c_str(b: &[u8]) -> String {
    String::from_utf8_lossy(c_bytes(b)).into_owned()
}

/// Error replies are one line. As Redis's `addReplyErrorFormat`: CR and LF at either end
/// are trimmed, the others become spaces.
pub fn sanitize_bytes(mut b: Vec<u8>) -> Vec<u8> {
    let keep = |c: &u8| *c != b'\r' && *c != b'\n';
    let end = b.iter().rposition(keep).map_or(0, |i| i + 1);
    b.truncate(end);
    let start = b.iter().position(keep).unwrap_or(b.len());
    b.drain(..start);
    for c in &mut b {
        if *c == b'\r' || *c == b'\n' {
            *c = b' ';
        }
    }
    b
}

/// [`sanitize_bytes`] for text.
/// Newlines become spaces, none trimmed (FUNCTION LIST's unknown argument, as
/// redis-server 7.0.15 answers it; [`sanitize_bytes`] also trims them).
pub fn spaced_newlines(mut b: Vec<u8>) -> Vec<u8> {
    for c in &mut b {
        if *c == b'\r' || *c == b'\n' {
            *c = b' ';
        }
    }
    b
}

pub fn sanitize(s: String) -> String {
    if !s.contains(['\r', '\n']) {
        return s;
    }
    s.trim_matches(['\r', '\n']).replace(['\r', '\n'], " ")
}

/// CLIENT LIST TYPE with an unknown type name.
pub fn unknown_client_type(t: &[u8]) -> Vec<u8> {
    let mut e = b"ERR Unknown client type '".to_vec();
    e.extend_from_slice(c_bytes(t));
    e.push(b'\'');
    sanitize_bytes(e)
}

/// CLIENT SETINFO with a value that has spaces or special characters.
pub fn bad_lib_attr(attr: &str) -> String {
    format!("ERR {attr} cannot contain spaces, newlines or special characters.")
}

/// Dragonfly's answer to HELLO with a protocol other than 2 or 3.
pub fn dragonfly_hello_protover(v: i64) -> String {
    format!("ERR unknown command 'HELLO' with args beginning with: `{v}`")
}

// Between clients: transactions, pub/sub, blocking commands.
pub const NOT_IN_MULTI_CONTEXT: &str = "ERR Command not allowed inside a transaction";
pub const EXEC_WITHOUT_MULTI: &str = "ERR EXEC without MULTI";
pub const DISCARD_WITHOUT_MULTI: &str = "ERR DISCARD without MULTI";
pub const MULTI_NESTED: &str = "ERR MULTI calls can not be nested";
pub const WATCH_IN_MULTI: &str = "ERR WATCH inside MULTI is not allowed";
pub const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";
/// EXEC refused itself: the refusal's text follows (without a leading `ERR `).
pub fn execabort_because(refusal: &[u8]) -> Vec<u8> {
    let why = refusal.strip_prefix(b"ERR ").unwrap_or(refusal);
    [b"EXECABORT Transaction discarded because of: ", why].concat()
}
pub const TIMEOUT_NEGATIVE: &str = "ERR timeout is negative";
pub const TIMEOUT_NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
pub const TIMEOUT_OUT_OF_RANGE: &str = "ERR timeout is out of range";
pub const UNBLOCKED: &str = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

/// A subcommand's words its handler refuses (`{sub}`: the subcommand as typed).
pub const PUBSUB_SUBCOMMAND_SYNTAX: &str =
    "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try PUBSUB HELP.";
pub const UNBLOCK_REASON: &str = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR";

/// Too many words for a subcommand whose handler counts them (`sub` as typed, up to 128).
pub fn subcommand_syntax(container: &str, sub: &[u8]) -> Vec<u8> {
    let sub = &sub[..sub.len().min(128)];
    sanitize_bytes(
        [
            b"ERR unknown subcommand or wrong number of arguments for '",
            sub,
            b"'. Try ",
            container.as_bytes(),
            b" HELP.",
        ]
        .concat(),
    )
}

pub const SSUBSCRIBE_DENY_BLOCKING: &str = "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client";

/// A command other than the subscribe family, PING, QUIT and RESET in RESP2's subscribed
/// mode (Redis 6.2 names the top-level command and has no shard channels).
pub fn only_subscribe_commands(p: &Profile, fullname: &str) -> String {
    if !p.redis_at_least(7, 0) {
        let name = fullname.split('|').next().unwrap_or(fullname);
        return format!(
            "ERR Can't execute '{name}': only (P)SUBSCRIBE / (P)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
        );
    }
    format!(
        "ERR Can't execute '{fullname}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
    )
}

// Client management.
pub const NO_SUCH_CLIENT: &str = "ERR No such client";
pub const CLIENT_ID_GT0: &str = "ERR client-id should be greater than 0";
pub const MAXAGE_NOT_INTEGER: &str = "ERR maxage is not an integer or out of range";
pub const MAXAGE_GT0: &str = "ERR maxage should be greater than 0";
pub const PAUSE_MODE: &str = "ERR CLIENT PAUSE mode must be WRITE or ALL";
pub const TIMEOUT_NOT_INTEGER: &str = "ERR timeout is not an integer or out of range";
pub const MONITOR_DENY_BLOCKING: &str = "ERR MONITOR isn't allowed for DENY BLOCKING client";
pub const REPLICA_KEYSPACE: &str = "ERR Replica can't interact with the keyspace";

/// CLIENT KILL USER of a user that does not exist.
pub fn no_such_user(name: &[u8]) -> Vec<u8> {
    sanitize_bytes([b"ERR No such user '", name, b"'"].concat())
}

// Client-side caching.
pub const TRACKING_ONE_REDIRECT: &str = "ERR A client can only redirect to a single other client";
pub const TRACKING_NO_REDIRECT_CLIENT: &str = "ERR The client ID you want redirect to does not exist";
pub const TRACKING_PREFIX_NEEDS_BCAST: &str = "ERR PREFIX option requires BCAST mode to be enabled";
pub const TRACKING_BCAST_SWITCH: &str = "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
pub const TRACKING_OPT_BCAST: &str = "ERR OPTIN and OPTOUT are not compatible with BCAST";
pub const TRACKING_OPTIN_OPTOUT: &str = "ERR You can't specify both OPTIN mode and OPTOUT mode";
pub const TRACKING_OPT_SWITCH: &str = "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
pub const CACHING_NOT_TRACKING: &str =
    "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled";
pub const CACHING_YES_OPTIN: &str = "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.";
pub const CACHING_NO_OPTOUT: &str = "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.";

/// CLIENT TRACKING's overlapping BCAST prefixes (`existing`: against one the client has,
/// else against another one given); each prefix printed up to a NUL, CR/LF as spaces.
pub fn prefix_overlap(new: &[u8], other: &[u8], existing: bool) -> Vec<u8> {
    let cut = |p: &[u8]| p[..p.iter().position(|&c| c == 0).unwrap_or(p.len())].to_vec();
    let what: &[u8] =
        if existing { b"' overlaps with an existing prefix '" } else { b"' overlaps with another provided prefix '" };
    let text =
        [b"ERR Prefix '", &cut(new)[..], what, &cut(other)[..], b"'. Prefixes for a single client must not overlap."]
            .concat();
    text.into_iter().map(|c| if c == b'\r' || c == b'\n' { b' ' } else { c }).collect()
}

// Streams.
pub const STREAM_ID_INVALID: &str = "ERR Invalid stream ID specified as stream command argument";
pub const STREAM_START_INVALID: &str = "ERR invalid start ID for the interval";
pub const STREAM_END_INVALID: &str = "ERR invalid end ID for the interval";
pub const XADD_MAXLEN_AND_MINID: &str =
    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
pub const XADD_MAXLEN_NEGATIVE: &str = "ERR The MAXLEN argument must be >= 0.";
pub const XADD_LIMIT_NEGATIVE: &str = "ERR The LIMIT argument must be >= 0.";
pub const XADD_LIMIT_NO_TRIM: &str = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy";
pub const XTRIM_NO_TRIM: &str = "ERR syntax error, XTRIM must be called with a trimming strategy";
pub const XADD_LIMIT_NO_APPROX: &str = "ERR syntax error, LIMIT cannot be used without the special ~ option";
pub const XADD_ID_ZERO: &str = "ERR The ID specified in XADD must be greater than 0-0";
pub const XADD_EXHAUSTED: &str = "ERR The stream has exhausted the last possible ID, unable to add more items";
pub const XADD_ID_TOO_SMALL: &str = "ERR The ID specified in XADD is equal or smaller than the target stream top item";
pub const XADD_TOO_LARGE: &str = "ERR Elements are too large to be stored";
pub const XSETID_ENTRIES_ADDED_NEGATIVE: &str = "ERR entries_added must be positive";
pub const XSETID_BELOW_MAX_DELETED: &str =
    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id";
pub const XSETID_BELOW_CURRENT_MAX_DELETED: &str =
    "ERR The ID specified in XSETID is smaller than current max_deleted_entry_id";
pub const XADD_ARITY_62: &str = "ERR wrong number of arguments for XADD";
pub const XREADGROUP_PLUS: &str = "ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set.";
pub const XREAD_PLUS_EMPTY: &str = "ERR the stream last element ID is 0-0";
pub const XSETID_BELOW_TOP: &str = "ERR The ID specified in XSETID is smaller than the target stream top item";
pub const XSETID_ENTRIES_ADDED_SMALL: &str =
    "ERR The entries_added specified in XSETID is smaller than the target stream length";
pub const XREAD_GROUP_ONLY: &str = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.";
pub const XREAD_NOACK_ONLY: &str = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.";
pub const XREADGROUP_NO_GROUP: &str = "ERR Missing GROUP option for XREADGROUP";
pub const XREADGROUP_DOLLAR: &str = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.";
pub const XREAD_GREATER: &str =
    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.";
pub const XREADGROUP_GROUP_GONE: &str = "NOGROUP the consumer group this client was blocked on no longer exists";
pub const XREADGROUP_KEY_GONE: &str = "UNBLOCKED the stream key no longer exists";
pub const XGROUP_ENTRIES_READ: &str = "ERR value for ENTRIESREAD must be positive or -1";
pub const XGROUP_NEEDS_KEY: &str = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";
pub const BUSYGROUP: &str = "BUSYGROUP Consumer Group name already exists";
pub const XCLAIM_MIN_IDLE: &str = "ERR Invalid min-idle-time argument for XCLAIM";
pub const XCLAIM_IDLE: &str = "ERR Invalid IDLE option argument for XCLAIM";
pub const XCLAIM_TIME: &str = "ERR Invalid TIME option argument for XCLAIM";
pub const XCLAIM_RETRYCOUNT: &str = "ERR Invalid RETRYCOUNT option argument for XCLAIM";
pub const XAUTOCLAIM_MIN_IDLE: &str = "ERR Invalid min-idle-time argument for XAUTOCLAIM";
pub const XAUTOCLAIM_COUNT: &str = "ERR COUNT must be > 0";
pub const XAUTOCLAIM_COUNT_MEMORY: &str =
    "ERR Insufficient memory, failed allocating transient memory, COUNT too high.";

/// XREAD and XREADGROUP with an odd number of words after STREAMS (7.2 names the command).
pub fn xread_unbalanced(p: &Profile, group: bool) -> String {
    if p.redis_at_least(7, 2) {
        let (name, symbol) = if group { ("xreadgroup", '>') } else { ("xread", '$') };
        format!("ERR Unbalanced '{name}' list of streams: for each stream key an ID or '{symbol}' must be specified.")
    } else {
        "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.".to_string()
    }
}

/// XREAD BLOCK inside a script (`cmd`: the command's name as the script gave it).
pub fn xread_block_in_script(cmd: &[u8]) -> Vec<u8> {
    sanitize_bytes([b"ERR ", c_bytes(cmd), b" command is not allowed with BLOCK option from scripts"].concat())
}

/// A Redis 8 stream option the fake does not implement yet (`cmd` and `option` upper-cased).
// Redis 8's stream additions (read from a recent Redis t_stream.c).
pub const XADD_IDMP_TWICE: &str = "ERR syntax error, IDMP/IDMPAUTO specified multiple times";
pub const XADD_IDMPAUTO_PID: &str = "ERR syntax error, IDMPAUTO requires a non-empty producer ID";
pub const XADD_IDMP_PID: &str = "ERR syntax error, IDMP requires a non-empty producer ID";
pub const XADD_IDMP_IID: &str = "ERR syntax error, IDMP requires a non-empty idempotent ID";
pub const XADD_IDMP_AUTO_ID: &str = "ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs";
pub const XDELEX_NUMIDS: &str = "ERR Number of IDs must be a positive integer";
pub const XDELEX_NUMIDS_MATCH: &str = "ERR The `numids` parameter must match the number of arguments";
pub const XDELEX_NO_IDS: &str = "ERR IDS option is required";
pub const XCFGSET_DURATION_TWICE: &str = "ERR IDMP-DURATION specified multiple times";
pub const XCFGSET_MAXSIZE_TWICE: &str = "ERR IDMP-MAXSIZE specified multiple times";
pub const XCFGSET_DURATION_RANGE: &str = "ERR IDMP-DURATION must be between 1 and 86400 seconds";
pub const XCFGSET_MAXSIZE_RANGE: &str = "ERR IDMP-MAXSIZE must be between 1 and 10000 entries";
pub const XCFGSET_NOTHING: &str = "ERR At least one parameter must be specified";
pub const XIDMPRECORD_PID: &str = "ERR producer ID must be non-empty";
pub const XIDMPRECORD_IID: &str = "ERR idempotent ID must be non-empty";
pub const XIDMPRECORD_NO_ENTRY: &str = "ERR No such message in stream";
pub const XIDMPRECORD_OTHER_ID: &str = "ERR IID already exists for this producer with a different stream ID";
pub const XNACK_MODE: &str = "ERR mode must be SILENT, FAIL, or FATAL";
pub const XNACK_NUMIDS: &str = "ERR numids must be a positive integer";
pub const XNACK_NUMIDS_MATCH: &str = "ERR number of IDs doesn't match numids";
pub const XNACK_RETRYCOUNT: &str = "ERR Invalid RETRYCOUNT value, must be >= 0";
pub const XNACK_NO_IDS: &str = "ERR syntax error, expected IDS keyword";
pub const XREAD_CLAIM_ONLY: &str = "ERR The CLAIM option is only supported by XREADGROUP. You called XREAD instead.";
pub const XREADGROUP_CLAIM_NOT_INTEGER: &str = "ERR min-idle-time is not an integer or out of range";
pub const XREADGROUP_CLAIM_NEGATIVE: &str = "ERR min-idle-time must be a positive integer";

/// XNACK's unknown option.
pub fn xnack_unrecognized(word: &[u8]) -> Vec<u8> {
    sanitize_bytes([b"ERR Unrecognized XNACK option '", c_bytes(word), b"'"].concat())
}

pub fn stream_option_not_implemented(cmd: &str, option: &str) -> String {
    format!("ERR {cmd}'s {option} option is not implemented by fakeredis yet")
}

/// A stream's missing key or group (each name printed as C's `%s`; XREADGROUP adds where).
pub fn nogroup_key_or_group(key: &[u8], group: &[u8], in_xreadgroup: bool) -> Vec<u8> {
    let tail: &[u8] = if in_xreadgroup { b"' in XREADGROUP with GROUP option" } else { b"'" };
    sanitize_bytes([b"NOGROUP No such key '", c_bytes(key), b"' or consumer group '", c_bytes(group), tail].concat())
}

/// A stream without the named consumer group (XGROUP, XINFO CONSUMERS).
pub fn nogroup_for_key(group: &[u8], key: &[u8]) -> Vec<u8> {
    sanitize_bytes(
        [b"NOGROUP No such consumer group '", c_bytes(group), b"' for key name '", c_bytes(key), b"'"].concat(),
    )
}

/// Redis's `addReplySubcommandSyntaxError`: the subcommand and the command as the client
/// typed them (the command upper-cased; before 7.0 with a capital `U` and no 128 cap).
pub fn subcommand_syntax_as_sent(p: &Profile, cmd: &[u8], sub: &[u8]) -> Vec<u8> {
    let cmd = String::from_utf8_lossy(c_bytes(&cmd.to_ascii_uppercase())).into_owned();
    if p.redis_at_least(7, 0) {
        return subcommand_syntax(&cmd, c_bytes(sub));
    }
    let head = b"ERR Unknown subcommand or wrong number of arguments for '".as_slice();
    sanitize_bytes([head, c_bytes(sub), b"'. Try ", cmd.as_bytes(), b" HELP."].concat())
}

/// XCLAIM's unknown option.
pub fn xclaim_unrecognized(word: &[u8]) -> Vec<u8> {
    sanitize_bytes([b"ERR Unrecognized XCLAIM option '", c_bytes(word), b"'"].concat())
}

// ACL (acl.c; the NOPERM refusals in server.c, multi.c and script.c).
pub const ACL_USERNAME_SPACES: &str = "ERR Usernames can't contain spaces or null characters";
pub const ACL_DELETE_DEFAULT: &str = "ERR The 'default' user cannot be removed";
pub const ACL_GENPASS_RANGE: &str =
    "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096";
pub const SORT_BY_NOPERM: &str = "ERR BY option of SORT denied due to insufficient ACL permissions.";
pub const SORT_GET_NOPERM: &str = "ERR GET option of SORT denied due to insufficient ACL permissions.";
pub const ACL_NO_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

/// Why a rule was refused (Redis's `ACLSetUserStringError`).
fn acl_rule_error(e: crate::acl::RuleError) -> &'static str {
    use crate::acl::RuleError as E;
    match e {
        E::Syntax => "Syntax error",
        E::Unknown => "Unknown command or category name in ACL",
        E::KeysAfterAll => "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
        E::ChannelsAfterAll => "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
        E::NoSuchPassword => "The password you are trying to remove from the user does not exist",
        E::BadHash => "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
        E::FirstArgOfSub => "Allowing first-arg of a subcommand is not supported",
    }
}

/// ACL SETUSER's refusal.
pub fn acl_setuser(e: &crate::acl::SetUserError) -> Vec<u8> {
    match e {
        crate::acl::SetUserError::Unmatched(op) => {
            sanitize_bytes([b"ERR Unmatched parenthesis in acl selector starting at '", c_bytes(op), b"'."].concat())
        }
        crate::acl::SetUserError::Rule(op, why) => sanitize_bytes(
            [b"ERR Error in ACL SETUSER modifier '", c_bytes(op), b"': ", acl_rule_error(*why).as_bytes()].concat(),
        ),
    }
}

/// ACL CAT of an unknown category (up to 128 bytes of it).
pub fn acl_unknown_category(cat: &[u8]) -> Vec<u8> {
    let cat = c_bytes(cat);
    sanitize_bytes([b"ERR Unknown category '", &cat[..cat.len().min(128)], b"'"].concat())
}

pub fn acl_dryrun_no_user(name: &[u8]) -> Vec<u8> {
    sanitize_bytes([b"ERR User '", c_bytes(name), b"' not found"].concat())
}

pub fn acl_dryrun_no_command(name: &[u8]) -> Vec<u8> {
    sanitize_bytes([b"ERR Command '", c_bytes(name), b"' not found"].concat())
}

/// ACL DRYRUN's answer (a bulk string, not an error) for a refused command: 7.2 names the
/// user.
pub fn acl_dryrun_denied(p: &Profile, d: crate::acl::Denied, user: &[u8], cmd: &str, arg: &[u8]) -> Vec<u8> {
    let who = if p.redis_at_least(7, 2) { [b"User ", c_bytes(user)].concat() } else { b"This user".to_vec() };
    let what = match d {
        crate::acl::Denied::Cmd => [b"run the '", cmd.as_bytes(), b"' command"].concat(),
        crate::acl::Denied::Key(_) => [b"access the '", c_bytes(arg), b"' key"].concat(),
        crate::acl::Denied::Channel(_) => [b"access the '", c_bytes(arg), b"' channel"].concat(),
    };
    [who.as_slice(), b" has no permissions to ", &what].concat()
}

/// A command the client's user may not run (processCommand's NOPERM): up to 6.2 the
/// command's top-level name "or its subcommand"; from 7.2 naming the user.
pub fn noperm(p: &Profile, d: crate::acl::Denied, user: &[u8], fullname: &str) -> Vec<u8> {
    use crate::acl::Denied as D;
    if p.redis_at_least(7, 2) {
        return match d {
            D::Cmd => sanitize_bytes(
                [
                    b"NOPERM User ",
                    c_bytes(user),
                    b" has no permissions to run the '",
                    fullname.as_bytes(),
                    b"' command",
                ]
                .concat(),
            ),
            D::Key(_) => b"NOPERM No permissions to access a key".to_vec(),
            D::Channel(_) => b"NOPERM No permissions to access a channel".to_vec(),
        };
    }
    match d {
        D::Cmd if !p.redis_at_least(7, 0) => {
            let top = fullname.split('|').next().unwrap_or(fullname);
            format!("NOPERM this user has no permissions to run the '{top}' command or its subcommand").into_bytes()
        }
        D::Cmd => format!("NOPERM this user has no permissions to run the '{fullname}' command").into_bytes(),
        D::Key(_) => b"NOPERM this user has no permissions to access one of the keys used as arguments".to_vec(),
        D::Channel(_) => {
            b"NOPERM this user has no permissions to access one of the channels used as arguments".to_vec()
        }
    }
}

/// A queued command EXEC finds no longer allowed.
pub fn noperm_exec(d: crate::acl::Denied) -> String {
    let why = match d {
        crate::acl::Denied::Cmd => "no permission to execute the command or subcommand",
        crate::acl::Denied::Key(_) => "no permission to touch the specified keys",
        crate::acl::Denied::Channel(_) => "no permission to access one of the channels used as arguments",
    };
    format!("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {why}")
}

/// A script's command its user may not run (7.0: "The user executing the script ...";
/// 7.2: the NOPERM texts of a client's command).
pub fn noperm_script(p: &Profile, d: crate::acl::Denied, user: &[u8], fullname: &str) -> Vec<u8> {
    if p.redis_at_least(7, 2) {
        return noperm(p, d, user, fullname);
    }
    let why = match d {
        crate::acl::Denied::Cmd => "can't run this command or subcommand",
        crate::acl::Denied::Key(_) => "can't access at least one of the keys mentioned in the command arguments",
        crate::acl::Denied::Channel(_) => "can't publish to the channel mentioned in the command",
    };
    format!("ERR The user executing the script {why}").into_bytes()
}

// A standalone master's answers (replication.c, cluster.c, server.c).
pub const INVALID_MASTER_PORT: &str = "ERR Invalid master port";
pub const FAILOVER_NONE_IN_PROGRESS: &str = "ERR No failover in progress.";
pub const FAILOVER_TIMEOUT: &str = "ERR FAILOVER timeout must be greater than 0";
pub const FAILOVER_NO_REPLICAS: &str = "ERR FAILOVER requires connected replicas.";
pub const WAITAOF_NO_AOF: &str = "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.";
pub const CLUSTER_DISABLED: &str = "ERR This instance has cluster support disabled";

/// A PROTECTED command (DEBUG, MODULE LOAD/UNLOAD) while its `enable-*-command` is off.
pub fn protected_command(what: &str, option: &str) -> String {
    format!("ERR {what} command not allowed. If the {option} option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
}
pub const SLOWLOG_COUNT: &str = "ERR count should be greater than or equal to -1";

// LATENCY (latency.c).
pub const LATENCY_DOCTOR_DISABLED: &str = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.";
pub const LATENCY_DOCTOR_QUIET: &str = "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.";

/// LATENCY GRAPH of an event with no samples.
pub fn latency_no_samples(event: &[u8]) -> Vec<u8> {
    sanitize_bytes([b"ERR No samples available for event '", c_bytes(event), b"'"].concat())
}

pub const BUSYKEY: &str = "BUSYKEY Target key name already exists.";
pub const RESTORE_BAD_DATA: &str = "ERR Bad data format";
pub const RESTORE_TTL_NEGATIVE: &str = "ERR Invalid TTL value, must be >= 0";
pub const RESTORE_IDLETIME_NEGATIVE: &str = "ERR Invalid IDLETIME value, must be >= 0";
pub const RESTORE_FREQ_RANGE: &str = "ERR Invalid FREQ value, must be >= 0 and <= 255";

/// DUMP of a value the fake cannot serialize yet (`what`: "streams").
pub fn dump_not_implemented(what: &str) -> String {
    format!("ERR DUMP of {what} is not implemented by fakeredis yet")
}

pub const CROSSSLOT: &str = "CROSSSLOT Keys in request don't hash to the same slot";
pub const CLUSTER_SELECT: &str = "ERR SELECT is not allowed in cluster mode";
pub const CLUSTER_MOVE: &str = "ERR MOVE is not allowed in cluster mode";
pub const CLUSTER_COPY_DB: &str = "ERR Copying to another database is not allowed in cluster mode";
pub const CLUSTER_SWAPDB: &str = "ERR SWAPDB is not allowed in cluster mode";
pub const CLUSTER_BAD_SLOT: &str = "ERR Invalid or out of range slot";
pub const CLUSTER_INVALID_SLOT: &str = "ERR Invalid slot";
pub const CLUSTER_INVALID_SLOT_OR_COUNT: &str = "ERR Invalid slot or number of keys";
pub const CLUSTER_FORGET_MYSELF: &str = "ERR I tried hard but I can't forget myself...";
pub const CLUSTER_REPLICATE_MYSELF: &str = "ERR Can't replicate myself";
pub const CLUSTER_EPOCH_SET: &str = "ERR Node config epoch is already non-zero";

pub fn cluster_unknown_node(id: &[u8]) -> Vec<u8> {
    [b"ERR Unknown node ", c_bytes(id)].concat()
}

pub fn cluster_slot_busy(slot: i64) -> String {
    format!("ERR Slot {slot} is already busy")
}

pub fn cluster_range_reversed(start: i64, end: i64) -> String {
    format!("ERR start slot number {start} is greater than end slot number {end}")
}

pub fn cluster_bad_epoch(word: &[u8]) -> Vec<u8> {
    [b"ERR Invalid config epoch specified: ", c_bytes(word)].concat()
}

pub const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

pub const DEBUG_PACKED_THRESHOLD: &str = "ERR argument must be a memory value bigger than 1 and smaller than 4gb";
pub const DEBUG_RELOAD_OPTIONS: &str = "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.";
pub const DEBUG_PUSH_RESP2: &str = "ERR RESP2 is not supported by this command";
pub const DEBUG_PROTOCOL_TYPE: &str = "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false";

pub const NO_SHUTDOWN_IN_PROGRESS: &str = "ERR No shutdown in progress.";

pub const COMMANDLOG_TYPE: &str = "ERR type should be one of the following: slow, large-request, large-reply";

pub const SCRIPT_NO_CLUSTER: &str = "ERR Can not run script on cluster, 'no-cluster' flag is set.";
pub const SCRIPT_NON_LOCAL_KEY: &str = "ERR Script attempted to access a non local key in a cluster node";
pub const SCRIPT_CROSS_SLOT: &str = "ERR Script attempted to access keys that do not hash to the same slot";

/// CONFIG REWRITE could not write the file.
pub fn config_rewrite_failed(why: &str) -> String {
    format!("ERR Rewriting config file: {why}")
}

pub const DEBUG_POPULATE_TOO_BIG: &str =
    "ERR DEBUG POPULATE of more than 10000000 keys or 4 GB is not implemented by fakeredis yet";
pub const DEBUG_NOT_SDS: &str = "ERR Not an sds encoded string.";
pub const DEBUG_DB_RANGE: &str = "ERR Out of range database";
pub const DEBUG_NOT_HASHTABLE: &str =
    "ERR The value stored at the specified key is not represented using an hash table";
pub const DEBUG_CLIENT_EVICTION_OFF: &str = "ERR maxmemory-clients is disabled.";
pub const DEBUG_CLUSTER_ONLY: &str = "ERR Debug option only available for cluster mode enabled setup!";

/// DEBUG LISTPACK/ZIPLIST/QUICKLIST of a key in another encoding.
pub fn debug_not_encoded(encoding: &str) -> Vec<u8> {
    format!("ERR Not a {encoding} encoded object.").into_bytes()
}

pub fn debug_unknown_node(node: &[u8]) -> Vec<u8> {
    [&b"ERR Unknown node "[..], node].concat()
}

pub fn debug_unknown_direction(dir: &[u8]) -> Vec<u8> {
    [&b"ERR Unknown direction "[..], dir].concat()
}

/// DEBUG CONFIG-REWRITE-FORCE-ALL that could not write (`strerror`'s words).
pub fn debug_rewrite_failed(why: &str) -> String {
    format!("ERR CONFIG-REWRITE-FORCE-ALL failed: {why}")
}

pub const REPLCONF_FILTER_MISSING: &str = "ERR Missing rdb-filter-only values";

pub fn replconf_ip_too_long(len: usize) -> Vec<u8> {
    format!("ERR REPLCONF ip-address provided by replica instance is too long: {len} bytes").into_bytes()
}

pub fn replconf_filter_unsupported(filter: &str) -> Vec<u8> {
    format!("ERR Unsupported rdb-filter-only option: {filter}").into_bytes()
}

pub fn replconf_unknown(option: &[u8]) -> Vec<u8> {
    [&b"ERR Unrecognized REPLCONF option: "[..], c_bytes(option)].concat()
}

pub const MIGRATE_KEYS_NEED_EMPTY_KEY: &str =
    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string";
pub const MIGRATE_CONNECT: &str = "IOERR error or timeout connecting to the client";
pub const MIGRATE_WRITE: &str = "IOERR error or timeout writing to target instance";
pub const MIGRATE_READ: &str = "IOERR error or timeout reading to target instance";

/// MIGRATE: the target's first error line (without its `-`).
pub fn migrate_target_error(line: &[u8]) -> Vec<u8> {
    [&b"ERR Target instance replied with error: "[..], line].concat()
}

pub const NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";

// Config files and `--name value` (the fatal report's last line), and CONFIG SET's reasons.
pub const CONFIG_BAD_DIRECTIVE: &str = "Bad directive or wrong number of arguments";
pub const CONFIG_WRONG_ARGS: &str = "wrong number of arguments";
pub const CONFIG_BAD_SAVE: &str = "Invalid save parameters";
pub const CONFIG_DATABASES: &str = "more than 4096 databases are not implemented by fakeredis yet";
pub const CONFIG_DATABASES_IN_USE: &str = "databases can only shrink past empty databases";
pub const CONFIG_PROTECTED: &str = "can't set protected config";
pub const CONFIG_PERCENT_RANGE: &str = "percentage argument must be less or equal to 100";
pub const CONFIG_MEMORY_OR_PERCENT: &str = "argument must be a memory or percent value";
pub const CONFIG_OBUF_ARGS: &str = "Wrong number of arguments in buffer limit configuration.";
pub const CONFIG_OBUF_CLASS: &str = "Invalid client class specified in buffer limit configuration.";
pub const CONFIG_OBUF_VALUES: &str = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
pub const CONFIG_OOM_VALUES: &str = "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
pub const CONFIG_TITLE_TEMPLATE: &str = "template format is invalid or contains unknown variables";

pub fn config_file_unreadable(path: &str, why: &str) -> String {
    format!("Fatal error, can't open config file '{path}': {why}")
}

pub fn config_directive_not_implemented(name: &str) -> String {
    format!("'{name}' is not implemented by fakeredis yet")
}

pub fn config_user_error(user: &str, why: &str) -> String {
    format!("Error in user declaration '{user}': {why}")
}

/// `activedefrag yes` on a server built without Redis's own jemalloc.
pub fn config_no_active_defrag(server: &str) -> String {
    format!("Active defragmentation cannot be enabled: it requires a {server} server compiled with a modified Jemalloc like the one shipped by default with the {server} source distribution")
}
