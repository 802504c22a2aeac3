local version, version_num, valkey, dialect, has_os = ...
-- The prelude's own uses of these see Lua's (scripts get the ones of `sandbox.rs`).
local setmetatable, getmetatable, rawget, rawset, next, pairs = setmetatable, getmetatable, rawget, rawset, next, pairs
local G = _G
local raw = {}
local dbg = debug
local real_loadstring = loadstring
-- 'redis7' (Redis 7+, Valkey), 'redis6' (Redis 6.2, KeyDB) or 'dragonfly': see `dialect.rs`.
local legacy, dragonfly = dialect ~= 'redis7', dialect == 'dragonfly'
-- An error from the fakeredis side (the script hook's kill): its message alone.
local function plain(err)
  return (tostring(err):gsub('^runtime error: ', ''):gsub('\nstack traceback:.*', ''))
end
local function handler(err)
  local lvl = 2
  local i = dbg.getinfo(lvl, 'nSl')
  while i and (i.what == 'C' or i.source == '=fakeredis') do
    lvl = lvl + 1
    i = dbg.getinfo(lvl, 'nSl')
  end
  if type(err) == 'userdata' then
    err = plain(err)
  end
  if type(err) ~= 'table' then
    err = {err = 'ERR ' .. tostring(err)}
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end
if legacy then
  -- Redis 6.2's error handler (Dragonfly's lacks its second line), line for line, so that an
  -- error inside it (a table raised) names the same line of '@err_handler_def' as there.
  handler = loadstring('local dbg, plain = ...\n' .. (dragonfly and '' or 'local _ = nil\n') ..
    "return function(err) if type(err) == 'userdata' then err = plain(err) end\n" ..
    "  local i = dbg.getinfo(2,'nSl')\n  if i and i.what == 'C' then\n    i = dbg.getinfo(3,'nSl')\n  end\n" ..
    "  if i then\n    return i.source .. ':' .. i.currentline .. ': ' .. err\n  else\n    return err\n  end\nend\n",
    '@err_handler_def')({getinfo = function(lvl, what)
      -- The handler's view of the stack, without the prelude's frames (Redis's read-only
      -- tables and global checks run in its VM or in C, where the prelude has Lua).
      local real, n = 2, 0
      while true do
        local i = dbg.getinfo(real, 'S')
        if not i then return nil end
        if i.source ~= '=fakeredis' then
          n = n + 1
          if n == lvl then return dbg.getinfo(real, what) end
        end
        real = real + 1
      end
    end}, plain)
end
-- Redis 6.2's `luaPushError` (Dragonfly's `PushError`): `source: line: ` of the function
-- that called the C function (`lvl`: that caller's level as seen from the caller of `traced`).
local function traced(msg, lvl)
  local i = dbg.getinfo(lvl + 1, 'Sl')
  while i and i.source == '=fakeredis' do
    lvl = lvl + 1
    i = dbg.getinfo(lvl + 1, 'Sl')
  end
  if i then return i.source .. ': ' .. i.currentline .. ': ' .. msg end
  return msg
end
-- How a library function of `redis` fails: an error table (Redis 7), its message (before 7).
local function failure(msg)
  if legacy then return msg, true end
  return {err = 'ERR ' .. msg}, true
end
-- Each read-only proxy and the table it stands for (Redis marks tables read-only in its
-- patched Lua; here a proxy stands in, and rawget, rawset, next, pairs, getmetatable and
-- setmetatable look through it).
local proxies = {}
local function readonly(t, strict, get)
  local p = {}
  proxies[p] = t
  return setmetatable(p, {
    __index = function(_, k)
      local v
      if get then v = get(k) else v = t[k] end
      if v == nil and strict then
        error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
      end
      return v
    end,
    __newindex = function() error("Attempt to modify a readonly table", 2) end,
    __metatable = false,
  })
end
local redis = {}
-- redis.call is a C function over `call_impl` (see `raise_if_failed`), set from Rust, so
-- a script's `return redis.call(...)` keeps its frame and errors name its line, as in Redis.
-- Before Redis 7 (and on Dragonfly) so is redis.pcall, whose errors name that line too.
if not legacy then
  function redis.pcall(...)
    return (raw.dispatch(true, ...))
  end
  redis.error_reply = function(...) return raw.error_reply(...) end
  redis.status_reply = function(...) return raw.status_reply(...) end
end
redis.sha1hex = function(...) return raw.sha1hex(...) end
local floor, ceil, select, tonumber = math.floor, math.ceil, select, tonumber
-- `redis.set_repl(flags)`: checked as Redis checks it (the fake replicates nowhere).
local function set_repl(...)
  if select('#', ...) ~= 1 then return failure('redis.set_repl() requires two arguments.') end
  local n = tonumber((...)) or 0
  n = n >= 0 and floor(n) or ceil(n)
  if n ~= n or n < 0 or n > 3 then
    return failure('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.')
  end
  return nil, false
end
if dragonfly then
  redis.replicate_commands = function() return 1 end
else
  redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
  -- Redis 6.2 answers false once the script has written.
  redis.replicate_commands = function() return not (legacy and raw.wrote()) end
  redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
  redis.breakpoint = function() return false end
  redis.debug = function() end
end
if not legacy then
  redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = version, version_num
end
-- Valkey adds its own version and name beside the Redis one it is compatible with.
for k, v in pairs(valkey or {}) do redis[k] = v end
G.redis = redis
-- Redis 7.4 and Valkey 8 give scripts os.clock and nothing else of os.
local clock = G.os and G.os.clock
G.os = has_os and {clock = clock} or nil
for _, name in ipairs({'loadfile', 'dofile', 'debug'}) do G[name] = nil end
-- Redis 7 dropped print (Redis 6.2 and Dragonfly write it to the server's stdout).
if not legacy then G.print = nil end
local env
if dragonfly then
  -- Dragonfly's strict globals: reading a missing one fails, and so does creating one
  -- outside a main chunk; changing an existing one is allowed (and lasts). Its metamethods
  -- are Lua code of its '@enable_strict_lua' chunk: this one has their lines, so that an
  -- error names the same place.
  env = {}
  proxies[env] = G
  loadstring(table.concat({
    'local G, dbg, env, setmetatable = ...',
    'local mt = {__metatable = false}',
    '',
    '',
    'setmetatable(env, mt)',
    'mt.__newindex = function (t, n, v)',
    '  if dbg.getinfo(2) then',
    '    local w = dbg.getinfo(2, "S").what',
    '    if w ~= "main" and w ~= "C" and rawget(G, n) == nil then',
    '      error("Script attempted to create global variable \'"..tostring(n).."\'", 2)',
    '    end',
    '  end',
    '  rawset(G, n, v)',
    'end',
    'mt.__index = function (t, n)',
    '  if rawget(G, n) == nil and dbg.getinfo(2) and dbg.getinfo(2, "S").what ~= "C" then',
    '    error("Script attempted to access nonexistent global variable \'"..tostring(n).."\'", 2)',
    '  end',
    '  return rawget(G, n)',
    'end',
  }, '\n'), '@enable_strict_lua')(G, dbg, env, setmetatable)
else
  env = readonly(G, true)
end
local setfenv, getfenv = setfenv, getfenv
if dialect == 'redis6' then
  -- Redis 6.2 still has getfenv and setfenv: they see the scripts' globals, never the
  -- state's own (so setfenv(0, t), which would swap the state's, is refused).
  G.getfenv = function(f, ...)
    if type(f) == 'number' and f > 0 then f = f + 1 end
    local e = getfenv(f == nil and 2 or f, ...)
    if e == G then return env end
    return e
  end
  G.setfenv = function(f, t, ...)
    if f == 0 then error("'setfenv' cannot change environment of given object", 2) end
    if type(f) == 'number' and f > 0 then f = f + 1 end
    return setfenv(f, t, ...)
  end
else
  -- Redis 7's scripts have no getfenv, setfenv or newproxy (nor has Dragonfly's Lua 5.4).
  G.getfenv, G.setfenv, G.newproxy = nil, nil, nil
end
if dragonfly then
  -- Lua 5.4's names where they differ from 5.1's (Dragonfly keeps `unpack` as a polyfill).
  G.loadstring, G.gcinfo = nil, nil
  G.table.unpack = unpack
else
  for _, name in ipairs({'string', 'table', 'math', 'redis', 'bit', 'cjson', 'cmsgpack', 'struct', 'os'}) do
    if G[name] then G[name] = readonly(G[name], false) end
  end
end
G._G = env
-- Valkey: `server` is the API's name, `redis` kept beside it.
if valkey then G.server = G.redis end
-- What getmetatable shows of the globals and of strings (see `sandbox.rs`, which
-- replaces the raw accessors once the prelude has run).
local globals_meta = readonly({}, false)
local string_meta = readonly({__index = G.string}, false)
-- Redis's pcall: an error table raised by redis.call comes back as its message.
local real_pcall = pcall
local function pack(...) return {n = select('#', ...), ...} end
G.pcall = function(...)
  local r = pack(real_pcall(...))
  -- A killed script stays killed: its pcall does not catch that.
  if not r[1] and raw.killed() then error(r[2], 0) end
  if not r[1] and type(r[2]) == 'table' and type(r[2].err) == 'string' then
    r[2] = r[2].err
  end
  return unpack(r, 1, r.n)
end
local function run(f) return xpcall(f, handler) end
local function call_impl(...) return raw.dispatch(false, ...) end
-- The legacy dialects' API: C closures over these are set from Rust (`raising_failed`).
-- A failed command's error table becomes its message when raised; a check of the script
-- layer's own (`traced`) names the line that called.
local extras = {set_repl = set_repl}
if legacy then
  local function dispatch(protected, ...)
    local v, failed, trace = raw.dispatch(protected, ...)
    if trace then v.err = traced(v.err, 4) end
    return v, failed
  end
  call_impl = function(...)
    local v, failed = dispatch(false, ...)
    if failed then return v.err, true end
    return v, false
  end
  extras.pcall = function(...) return (dispatch(true, ...)), false end
  if dragonfly then
    -- acall/apcall: Dragonfly's calls whose replies the script does not want.
    extras.acall = function(...)
      local v, failed = dispatch(false, ...)
      if failed then return v.err, true end
      return nil, false
    end
    extras.apcall = function(...) dispatch(true, ...) return nil, false end
    extras.log = function(...)
      if select('#', ...) < 2 then return traced('redis.log() requires two arguments or more.', 3), true end
      return nil, false
    end
  end
  local function single_field(field)
    return function(...)
      if select('#', ...) ~= 1 or type((...)) ~= 'string' then
        return {err = traced('wrong number or type of arguments', 3)}, false
      end
      return {[field] = (...)}, false
    end
  end
  extras.error_reply, extras.status_reply = single_field('err'), single_field('ok')
  -- Rust's checks answer Redis 7's error tables: before 7 they raise the bare message.
  extras.plain_failure = function(imp)
    return function(...)
      local v, failed = imp(...)
      if failed and type(v) == 'table' then v = (tostring(v.err):gsub('^ERR ', '')) end
      return v, failed
    end
  end
end
-- Dragonfly's script: `function f_<sha>() \n<body>\nend` run once to define it (so the
-- body's first line is line 2), then in the scripts' globals. Nil and the error otherwise.
function extras.define(sha, body)
  local name = 'f_' .. sha
  local def, e = real_loadstring('function ' .. name .. '() \n' .. body .. '\nend', '@user_script')
  if not def then return nil, e end
  local box = {}
  setfenv(def, box)
  local ok, err = real_pcall(def)
  if not ok then return nil, tostring(err) end
  local f = rawget(box, name)
  if type(f) ~= 'function' then return nil, 'Script attempted to access nonexistent global variable \'' .. name .. '\'' end
  setfenv(f, env)
  return f
end
-- Redis's Lua reads no bytecode: a chunk starting with ESC is text that does not parse.
-- Lua's `luaO_chunkid` (LUA_IDSIZE 60): how an error names a chunk. C strings end at NUL.
local function chunkid(name)
  name = name:match('^[^%z]*')
  local first = name:sub(1, 1)
  if first == '=' then return name:sub(2, 60) end
  if first == '@' then
    local src = name:sub(2)
    if #src > 45 then return '...' .. src:sub(#src - 44) end
    return src
  end
  local line = name:match('^[^\n\r]*')
  if #line > 43 then line = line:sub(1, 43) end
  if #line < #name then return '[string "' .. line .. '..."]' end
  return '[string "' .. line .. '"]'
end
local function compile(body, name)
  if body:byte(1) == 27 then
    return nil, chunkid(name) .. ":1: unexpected symbol near 'char(27)'"
  end
  local f, e = real_loadstring(body, name)
  if not f then return nil, e end
  setfenv(f, env)
  return f
end
if not dragonfly then
  G.loadstring = function(s, name)
    if type(s) ~= 'string' then return real_loadstring(s, name) end
    return compile(s, name or s)
  end
end
-- load(reader [, name]) through the same compiler, so no bytecode gets in that way. A
-- reader's bad piece is an error Redis's error handler has already seen (it runs inside
-- lua_load): an error table naming the line that called load.
local function load_impl(f, name)
  local parts = {}
  while true do
    local piece = f()
    if piece == nil or piece == '' then break end
    local t = type(piece)
    if t == 'number' then
      piece = tostring(piece)
    elseif t ~= 'string' then
      local lvl, i = 2, dbg.getinfo(2, 'Sl')
      while i and (i.what == 'C' or i.source == '=fakeredis') do
        lvl = lvl + 1
        i = dbg.getinfo(lvl, 'Sl')
      end
      local where = i and (chunkid(i.source) .. ':' .. i.currentline .. ': ') or ''
      local msg = where .. 'reader function must return a string'
      if legacy then return nil, msg end
      return nil, {err = 'ERR ' .. msg}
    end
    parts[#parts + 1] = piece
  end
  return compile(table.concat(parts), name or '=(load)')
end
-- Functions. A library's code runs with only the load API as its globals (`redis` with
-- register_function, log and the versions); its functions, when called, see Redis's
-- whole set (but no KEYS or ARGV: they get theirs as arguments).
local loading
local flag_bits = {['no-writes'] = 1, ['allow-oom'] = 2, ['allow-stale'] = 4, ['no-cluster'] = 8, ['allow-cross-slot-keys'] = 16}
local function fail(msg) error({err = 'ERR ' .. msg}) end
local function str(v) local t = type(v) if t == 'string' or t == 'number' then return tostring(v) end end
local function valid_name(n) return n ~= '' and not n:find('[^%w_]') end
local function read_flags(t)
  local bits, j = 0, 1
  while true do
    local f = t[j]
    if f == nil then return bits end
    local b = str(f) and flag_bits[str(f):lower()]
    if not b then fail('unknown flag given') end
    if bits % (2 * b) < b then bits = bits + b end
    j = j + 1
  end
end
local function register_function(...)
  if not loading then fail('redis.register_function can only be called on FUNCTION LOAD command') end
  local n = select('#', ...)
  if n < 1 or n > 2 then fail('wrong number of arguments to redis.register_function') end
  local name, desc, cb, flags
  if n == 1 then
    local t = ...
    if type(t) ~= 'table' then
      fail('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
    end
    for k, v in next, t do
      if not str(k) then fail('named argument key given to redis.register_function is not a string') end
      local key = str(k):lower()
      if key == 'function_name' then
        name = str(v) or fail('function_name argument given to redis.register_function must be a string')
      elseif key == 'description' then
        desc = str(v) or fail('description argument given to redis.register_function must be a string')
      elseif key == 'callback' then
        if type(v) ~= 'function' then fail('callback argument given to redis.register_function must be a function') end
        cb = v
      elseif key == 'flags' then
        if type(v) ~= 'table' then
          fail('flags argument to redis.register_function must be a table representing function flags')
        end
        flags = read_flags(v)
      else
        fail('unknown argument given to redis.register_function')
      end
    end
    if not name then fail('redis.register_function must get a function name argument') end
    if not cb then fail('redis.register_function must get a callback argument') end
  else
    local a, b = ...
    name = str(a) or fail('first argument to redis.register_function must be a string')
    if type(b) ~= 'function' then fail('second argument to redis.register_function must be a function') end
    cb = b
  end
  if not valid_name(name) then
    fail('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long')
  end
  if loading.names[name] then fail('Function already exists in the library') end
  loading.names[name] = true
  loading.list[#loading.list + 1] = {name, desc, flags or 0, cb}
end
local load_redis = {register_function = register_function, REDIS_VERSION = version, REDIS_VERSION_NUM = version_num}
-- (redis.log is set from Rust after the prelude.)
function load_redis.log(...) return redis.log(...) end
for k, v in pairs(valkey or {}) do load_redis[k] = v end
for _, k in ipairs({'LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING'}) do load_redis[k] = redis[k] end
local load_api = {redis = readonly(load_redis, true)}
if valkey then load_api.server = load_api.redis end
local current = G
local fenv = readonly({}, true, function(k)
  if current ~= G or (k ~= 'KEYS' and k ~= 'ARGV') then return current[k] end
end)
-- Runs a library's code: true and its functions ({name, description, flags, callback}),
-- or false and Redis's error text.
local function load_library(body)
  if body:byte(1) == 27 then
    return false, "Error compiling function: user_function:1: unexpected symbol near 'char(27)'"
  end
  local f, e = real_loadstring(body, '@user_function')
  if not f then return false, 'Error compiling function: ' .. e end
  setfenv(f, fenv)
  loading, current = {list = {}, names = {}}, load_api
  local ok, err = real_pcall(f)
  local got = loading
  loading, current = nil, G
  if ok then return true, got.list end
  local msg
  if type(err) == 'table' then msg = err.err elseif str(err) then msg = 'ERR ' .. str(err) end
  return false, 'Error registering functions: ' .. (type(msg) == 'string' and msg or '(null)')
end
local function run_fn(cb, keys, args)
  return xpcall(function() return cb(keys, args) end, handler)
end
-- `redis` itself, for the C functions Rust adds to it (setresp, acl_check_cmd), and what
-- `sandbox.rs` reads from the registry.
local sandbox = {proxies = proxies, env = env, globals_meta = globals_meta, string_meta = string_meta, load = load_impl}
return raw, env, run, call_impl, compile, load_library, run_fn, redis, sandbox, extras
