//! The raw accessors scripts get in place of Lua's (`rawget`, `rawset`, `next`, `pairs`,
//! `getmetatable`, `setmetatable`, `load`'s argument check): Redis marks its global and
//! library tables read-only inside its patched Lua, while here read-only proxies stand in
//! for them, so these look through a proxy to its table and refuse to change one, with
//! the errors Lua's own give (C functions, so that `luaL_where` names the script's line
//! and a script's tail call keeps its frame).
//!
//! The prelude leaves in the registry: `fakeredis.proxies` (proxy -> table), `fakeredis.env`
//! (the globals' proxy), `fakeredis.globals_meta` and `fakeredis.string_meta` (what
//! getmetatable shows of the globals and of strings).

use std::ffi::CStr;
use std::os::raw::c_int;

use mlua::ffi;

const READONLY: &CStr = c"Attempt to modify a readonly table";

unsafe fn registry(l: *mut ffi::lua_State, key: &CStr) {
    ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, key.as_ptr());
}

/// The table a proxy at `idx` stands for, pushed; nothing pushed if it is no proxy.
unsafe fn push_target(l: *mut ffi::lua_State, idx: c_int) -> bool {
    registry(l, c"fakeredis.proxies");
    ffi::lua_pushvalue(l, idx);
    ffi::lua_rawget(l, -2);
    ffi::lua_remove(l, -2);
    if ffi::lua_isnil(l, -1) != 0 {
        ffi::lua_pop(l, 1);
        return false;
    }
    true
}

unsafe fn is_proxy(l: *mut ffi::lua_State, idx: c_int) -> bool {
    let found = push_target(l, idx);
    if found {
        ffi::lua_pop(l, 1);
    }
    found
}

/// Raises Redis's read-only error without a position (it comes from inside the VM there).
unsafe fn refuse(l: *mut ffi::lua_State) -> c_int {
    ffi::lua_pushstring(l, READONLY.as_ptr());
    ffi::lua_error(l)
}

pub unsafe extern "C-unwind" fn rawget(l: *mut ffi::lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    ffi::luaL_checkany(l, 2);
    if push_target(l, 1) {
        ffi::lua_replace(l, 1);
    }
    ffi::lua_settop(l, 2);
    ffi::lua_rawget(l, 1);
    1
}

pub unsafe extern "C-unwind" fn rawset(l: *mut ffi::lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    ffi::luaL_checkany(l, 2);
    ffi::luaL_checkany(l, 3);
    if is_proxy(l, 1) {
        return refuse(l);
    }
    ffi::lua_settop(l, 3);
    ffi::lua_rawset(l, 1);
    1
}

pub unsafe extern "C-unwind" fn next(l: *mut ffi::lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    if push_target(l, 1) {
        ffi::lua_replace(l, 1);
    }
    ffi::lua_settop(l, 2);
    if ffi::lua_next(l, 1) != 0 {
        2
    } else {
        ffi::lua_pushnil(l);
        1
    }
}

/// `pairs`, a closure over the `next` above (its upvalue), as Lua 5.1's is over its own.
pub unsafe extern "C-unwind" fn pairs(l: *mut ffi::lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_pushvalue(l, 1);
    ffi::lua_pushnil(l);
    3
}

pub unsafe extern "C-unwind" fn getmetatable(l: *mut ffi::lua_State) -> c_int {
    ffi::luaL_checkany(l, 1);
    if is_proxy(l, 1) {
        registry(l, c"fakeredis.env");
        let globals = ffi::lua_rawequal(l, 1, -1) != 0;
        ffi::lua_pop(l, 1);
        if globals {
            registry(l, c"fakeredis.globals_meta");
        } else {
            ffi::lua_pushnil(l);
        }
        return 1;
    }
    if ffi::lua_type(l, 1) == ffi::LUA_TSTRING {
        registry(l, c"fakeredis.string_meta");
        return 1;
    }
    if ffi::lua_getmetatable(l, 1) == 0 {
        ffi::lua_pushnil(l);
        return 1;
    }
    ffi::luaL_getmetafield(l, 1, c"__metatable".as_ptr());
    1
}

pub unsafe extern "C-unwind" fn setmetatable(l: *mut ffi::lua_State) -> c_int {
    let t = ffi::lua_type(l, 2);
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    if t != ffi::LUA_TNIL && t != ffi::LUA_TTABLE {
        ffi::luaL_argerror(l, 2, c"nil or table expected".as_ptr());
    }
    if is_proxy(l, 1) {
        return refuse(l);
    }
    if ffi::luaL_getmetafield(l, 1, c"__metatable".as_ptr()) != 0 {
        return ffi::luaL_error(l, c"cannot change a protected metatable".as_ptr());
    }
    ffi::lua_settop(l, 2);
    ffi::lua_setmetatable(l, 1);
    1
}

/// `load(reader [, name])`: Lua's check of the reader, then the prelude's loader (its
/// upvalue), which compiles text only.
pub unsafe extern "C-unwind" fn load(l: *mut ffi::lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TFUNCTION);
    ffi::lua_settop(l, 2);
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_insert(l, 1);
    ffi::lua_call(l, 2, ffi::LUA_MULTRET);
    ffi::lua_gettop(l)
}
