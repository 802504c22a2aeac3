//! Code generation: typed argument structs and enums, parsers' run functions, the static
//! command table.

#[allow(unused_imports)]
use super::*;

pub(crate) struct Gen<'o> {
    pub(crate) ov: Option<&'o CmdOverlay>,
    /// Valkey's own version of a command: its arguments' `since` are Valkey versions.
    pub(crate) valkey_own: bool,
    pub(crate) types: Vec<TokenStream>,
}

pub(crate) fn needs_lt_in(a: &Arg, o: Option<&CmdOverlay>) -> bool {
    match a.kind.as_str() {
        "key" | "string" | "pattern" => true,
        "oneof" | "block" => a.args.iter().any(|x| needs_lt_in(x, o)),
        _ => o.is_some_and(|o| o.raw.contains(&a.name) || o.handler.contains(&a.name)),
    }
}

pub(crate) fn lt_if(b: bool) -> TokenStream {
    if b {
        quote!(<'a>)
    } else {
        quote!()
    }
}

impl Gen<'_> {
    pub(crate) fn is_flag_set(&self, a: &Arg) -> bool {
        a.kind == "oneof" && self.ov.is_some_and(|o| o.flags.contains(&a.name))
    }

    pub(crate) fn needs_lt(&self, a: &Arg) -> bool {
        needs_lt_in(a, self.ov)
    }

    pub(crate) fn is_raw(&self, a: &Arg) -> bool {
        self.ov.is_some_and(|o| o.raw.contains(&a.name))
    }

    /// A number its handler checks: typed as `Num`.
    pub(crate) fn is_deferred(&self, a: &Arg) -> bool {
        matches!(a.kind.as_str(), "integer" | "unix-time" | "double")
            && self.ov.is_some_and(|o| o.handler.contains(&a.name))
    }

    pub(crate) fn arg_static(&self, a: &Arg) -> Res<TokenStream> {
        let name = &a.name;
        let kind = match a.kind.as_str() {
            "key" => quote!(ArgKind::Key),
            "string" => quote!(ArgKind::String),
            "pattern" => quote!(ArgKind::Pattern),
            "integer" => quote!(ArgKind::Integer),
            "double" => quote!(ArgKind::Double),
            "unix-time" => quote!(ArgKind::UnixTime),
            "pure-token" => quote!(ArgKind::PureToken),
            k => {
                let subs = a.args.iter().map(|s| self.arg_static(s)).collect::<Res<Vec<_>>>()?;
                if k == "oneof" {
                    quote!(ArgKind::OneOf(&[#(#subs),*]))
                } else {
                    quote!(ArgKind::Block(&[#(#subs),*]))
                }
            }
        };
        let opt = |o: &Option<String>| match o {
            Some(s) => quote!(Some(#s)),
            None => quote!(None),
        };
        let token = opt(&a.token);
        let since = opt(&a.since);
        let display = opt(&a.display);
        let dep = opt(&a.deprecated_since);
        let (optional, multiple, multiple_token, ksi) =
            (a.optional, a.multiple, a.multiple_token, a.key_spec_index as i32);
        let flag_set = self.is_flag_set(a);
        let raw = self.is_raw(a);
        let o = self.ov;
        let format = match o.and_then(|o| o.formats.get(&a.name)) {
            Some(_) => quote!(Some(Format::Cursor)),
            None => quote!(None),
        };
        let check = if o.is_some_and(|o| o.late.contains(&a.name)) {
            quote!(Check::Late)
        } else if o.is_some_and(|o| o.handler.contains(&a.name)) {
            quote!(Check::Handler)
        } else {
            quote!(Check::Read)
        };
        let named = |e: Option<&String>| match e {
            Some(n) => {
                let p = error_path(n);
                quote!(Some(#p))
            }
            None => quote!(None),
        };
        let value_error = named(o.and_then(|o| o.values.get(&a.name)));
        let ranges: Vec<TokenStream> = o
            .and_then(|o| o.ranges.get(&a.name))
            .into_iter()
            .flatten()
            .map(|(min, max, e, last_db)| {
                let e = named(e.as_ref());
                quote!(Range { min: #min, max: #max, error: #e, last_db: #last_db })
            })
            .collect();
        let rule_key = a.token.clone().unwrap_or_else(|| a.name.clone()).to_ascii_uppercase();
        let mut rule = self.ov.and_then(|o| o.args.get(&rule_key)).cloned().unwrap_or_default();
        if self.valkey_own {
            // Only Valkey has this spec: an argument's `since` is the Valkey version.
            let given = rule.valkey.is_some();
            rule = rule.or(&AvailRule::only("valkey"));
            if let (false, Some(v)) = (given, &a.since) {
                rule.valkey = Some(Some(v.clone()));
            }
        }
        let avail = if a.since.is_none()
            && rule.redis.is_none()
            && rule.valkey.is_none()
            && rule.keydb.is_none()
            && rule.dragonfly.is_none()
        {
            quote!(Avail::ALL)
        } else {
            avail_tokens(a.since.as_deref(), &rule)?
        };
        Ok(quote!(ArgSpec {
            name: #name, kind: #kind, token: #token, optional: #optional, multiple: #multiple,
            multiple_token: #multiple_token, flag_set: #flag_set, raw: #raw, format: #format, check: #check,
            value_error: #value_error, ranges: &[#(#ranges),*], since: #since, display: #display,
            key_spec_index: #ksi, deprecated_since: #dep, avail: #avail,
        }))
    }

    /// The Rust type of one value of `a` (before optional/multiple wrapping); defines
    /// nested enums and structs as needed.
    pub(crate) fn base_type(&mut self, a: &Arg, tname: &str) -> TokenStream {
        if self.is_raw(a) {
            return quote!(&'a [u8]);
        }
        if self.is_deferred(a) {
            return quote!(grammar::Num<'a>);
        }
        match a.kind.as_str() {
            "key" | "string" | "pattern" => quote!(&'a [u8]),
            "integer" | "unix-time" => quote!(i64),
            "double" => quote!(f64),
            "pure-token" => quote!(bool),
            "oneof" => {
                self.define_enum(a, tname);
                let t = ident(tname);
                let lt = lt_if(self.needs_lt(a));
                quote!(#t #lt)
            }
            _ => {
                self.define_struct(&a.args, tname);
                let t = ident(tname);
                let lt = lt_if(self.needs_lt(a));
                quote!(#t #lt)
            }
        }
    }

    pub(crate) fn base_conv(&self, a: &Arg, tname: &str, v: TokenStream) -> TokenStream {
        if self.is_raw(a) {
            return quote!(pv_word(#v));
        }
        if self.is_deferred(a) {
            return quote!(grammar::pv_num(#v));
        }
        match a.kind.as_str() {
            "key" | "string" | "pattern" => quote!(pv_word(#v)),
            "integer" | "unix-time" => quote!(pv_int(#v)),
            "double" => quote!(pv_f64(#v)),
            "pure-token" => quote!(pv_present(#v)),
            "oneof" => {
                let t = ident(tname);
                quote!(#t::from_pval(#v))
            }
            _ => {
                let t = ident(tname);
                quote!(#t::from_block(pv_block(#v)))
            }
        }
    }

    /// Field type and conversion expression of `a` at some level.
    pub(crate) fn field(&mut self, a: &Arg, tname: &str, v: TokenStream) -> (TokenStream, TokenStream) {
        let base = self.base_type(a, tname);
        let conv = self.base_conv(a, tname, quote!(x));
        if a.multiple || a.multiple_token || self.is_flag_set(a) {
            (quote!(Vec<#base>), quote!(pv_many(#v).iter().map(|x| #conv).collect()))
        } else if a.kind == "pure-token" {
            (quote!(bool), quote!(pv_present(#v)))
        } else if a.optional {
            (quote!(Option<#base>), quote!(match #v { PVal::Absent => None, x => Some(#conv) }))
        } else {
            let c = self.base_conv(a, tname, v);
            (base, c)
        }
    }

    pub(crate) fn define_struct(&mut self, args: &[Arg], tname: &str) {
        let names = field_names(args);
        let mut fields = Vec::new();
        let mut inits = Vec::new();
        for (i, (a, f)) in args.iter().zip(&names).enumerate() {
            let sub = format!("{tname}{}", camel(&a.name));
            let (ty, conv) = self.field(a, &sub, quote!(pv_at(v, #i)));
            let fi = ident(f);
            fields.push(quote!(pub #fi: #ty));
            inits.push(quote!(#fi: #conv));
        }
        let t = ident(tname);
        let lt = lt_if(args.iter().any(|x| self.needs_lt(x)));
        let doc = format!("Typed arguments of `{tname}` (generated).");
        self.types.push(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, PartialEq)]
            pub struct #t #lt { #(#fields,)* }
            impl<'a> #t #lt {
                pub fn from_block(v: &[PVal<'a>]) -> Self { #t { #(#inits,)* } }
            }
        });
    }

    pub(crate) fn define_enum(&mut self, a: &Arg, tname: &str) {
        let names = variant_names(&a.args);
        let mut variants = Vec::new();
        let mut arms = Vec::new();
        for (i, (alt, vn)) in a.args.iter().zip(&names).enumerate() {
            let vi = ident(vn);
            let sub = format!("{tname}{vn}");
            let t = ident(tname);
            if alt.kind == "pure-token" && !alt.multiple {
                variants.push(quote!(#vi));
                arms.push(quote!(#i => #t::#vi));
            } else {
                let mut alt_req = alt.clone();
                alt_req.optional = false;
                let (ty, conv) = self.field(&alt_req, &sub, quote!(x));
                variants.push(quote!(#vi(#ty)));
                arms.push(quote!(#i => #t::#vi(#conv)));
            }
        }
        let t = ident(tname);
        let lt = lt_if(self.needs_lt(a));
        let first = &arms[0];
        let first_default = {
            // Only reached on a parse that already failed: fall back to the first alternative.
            let s = first.to_string();
            let body = s.split_once("=>").map(|x| x.1.to_string()).unwrap_or_default();
            body.parse::<TokenStream>().unwrap_or_default()
        };
        let doc = format!("Alternatives of `{}` (generated).", a.name);
        self.types.push(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, PartialEq)]
            pub enum #t #lt { #(#variants,)* }
            impl<'a> #t #lt {
                pub fn from_pval(v: &PVal<'a>) -> Self {
                    let (idx, inner) = pv_oneof(v);
                    let x = inner;
                    match idx { #(#arms,)* _ => #first_default }
                }
            }
        });
    }
}

/// Every argument name errors.json gives for `c` must be one of its arguments.
pub(crate) fn check_overlay_args(c: &Cmd, o: &CmdOverlay) -> Res<()> {
    pub(crate) fn names(args: &[Arg], out: &mut BTreeSet<String>) {
        for a in args {
            out.insert(a.name.clone());
            names(&a.args, out);
        }
    }
    let mut known = BTreeSet::new();
    names(&c.args, &mut known);
    let given = o
        .values
        .keys()
        .chain(o.formats.keys())
        .chain(o.ranges.keys())
        .chain(&o.flags)
        .chain(&o.raw)
        .chain(&o.late)
        .chain(&o.handler);
    for n in given {
        if !known.contains(n) {
            return Err(format!("errors.json: commands.{} names argument \"{n}\", which {} lacks", c.key, c.file));
        }
    }
    Ok(())
}

fn server_kind(s: &str) -> TokenStream {
    match s {
        "redis" => quote!(ServerKind::Redis),
        "valkey" => quote!(ServerKind::Valkey),
        "keydb" => quote!(ServerKind::KeyDB),
        _ => quote!(ServerKind::Dragonfly),
    }
}

pub(crate) fn key_specs_tokens(ks: &[KeySpecM]) -> Vec<TokenStream> {
    ks.iter()
        .map(|k| {
            let f = &k.flags;
            let (b, fi) = (&k.begin, &k.find);
            quote!(KeySpec { flags: &[#(#f),*], begin: #b, find: #fi })
        })
        .collect()
}

/// The overlay's per-server facts as `Variant`s, most specific first: version-bounded
/// selectors before plain ones, the narrowest bound first.
fn variants_tokens(o: Option<&CmdOverlay>) -> Res<Vec<TokenStream>> {
    let mut out = Vec::new();
    for (sel, f) in o.map(|o| &o.facts).into_iter().flatten() {
        let (server, from, until) = selector("servers.json", "", sel)?;
        // Most specific first: ranges, then `<` bounds ascending, `>=` bounds descending, plain.
        let inv = |(a, b, c): (u16, u16, u16)| (u16::MAX - a, u16::MAX - b, u16::MAX - c);
        let rank = match (from, until) {
            (Some(f), Some(_)) => (0, inv(f)),
            (None, Some(u)) => (1, u),
            (Some(f), None) => (2, inv(f)),
            (None, None) => (3, (0, 0, 0)),
        };
        let v = |x: Option<(u16, u16, u16)>, none: TokenStream| match x {
            Some((a, b, c)) => quote!(Version::new(#a, #b, #c)),
            None => none,
        };
        let (from, until) =
            (v(from, quote!(Version::ZERO)), v(until, quote!(Version::new(u16::MAX, u16::MAX, u16::MAX))));
        let k = server_kind(&server);
        let some_strs = |v: &Option<Vec<String>>| match v {
            Some(l) => quote!(Some(&[#(#l),*])),
            None => quote!(None),
        };
        let arity = match f.arity {
            Some(n) => {
                let n = n as i32;
                quote!(Some(#n))
            }
            None => quote!(None),
        };
        let (flags, acl, tips, docf) =
            (some_strs(&f.flags), some_strs(&f.acl), some_strs(&f.tips), some_strs(&f.doc_flags));
        let opt_text = |v: &Option<Option<String>>| match v {
            Some(Some(t)) => quote!(Some(Some(#t))),
            Some(None) => quote!(Some(None)),
            None => quote!(None),
        };
        let (dep, rep) = (opt_text(&f.deprecated_since), opt_text(&f.replaced_by));
        let ks = match &f.key_specs {
            Some(ks) => {
                let t = key_specs_tokens(ks);
                quote!(Some(&[#(#t),*]))
            }
            None => quote!(None),
        };
        out.push((
            rank,
            sel.clone(),
            quote!(Variant {
                server: #k, from: #from, until: #until, arity: #arity, flags: #flags,
                acl_categories: #acl, tips: #tips, key_specs: #ks, doc_flags: #docf,
                deprecated_since: #dep, replaced_by: #rep,
            }),
        ));
    }
    out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    Ok(out.into_iter().map(|(_, _, t)| t).collect())
}

/// The availability rule of a command: its overlay entry, over its module's or server
/// folder's defaults; a general spec is absent where a server has its own version.
fn command_rule(c: &Cmd, o: Option<&CmdOverlay>, specs: &BTreeMap<String, Cmd>, ov: &Overlay) -> Res<AvailRule> {
    let base = match (&c.server, &c.module) {
        (Some(s), _) => AvailRule::only(s),
        (None, Some(m)) => ov
            .modules
            .get(m)
            .cloned()
            .ok_or_else(|| format!("{}: module \"{m}\" has no entry in servers.json \"modules\"", c.file))?,
        (None, None) => AvailRule::default(),
    };
    let mut rule = o.map(|o| o.avail.clone()).unwrap_or_default().or(&base);
    if !c.variant {
        if specs.contains_key(&format!("{}@keydb", c.key)) {
            rule.keydb = Some(false);
        }
        if specs.contains_key(&format!("{}@dragonfly", c.key)) {
            rule.dragonfly = Some(false);
        }
        if specs.contains_key(&format!("{}@valkey", c.key)) {
            // Valkey's own version takes over from its first version on.
            match ov.cmds.get(&format!("{}@VALKEY", c.key)).and_then(|v| v.avail.valkey.clone()).flatten() {
                Some(from) if from != "0.0.0" => rule.valkey_removed = Some(from),
                _ => rule.valkey = Some(None),
            }
        }
    }
    Ok(rule)
}

pub(crate) fn generate(
    specs: &BTreeMap<String, Cmd>,
    ov: &Overlay,
    handlers: &BTreeMap<String, String>,
) -> Res<TokenStream> {
    let mut items = Vec::new();
    let mut top = Vec::new();
    for c in specs.values() {
        let o = ov.cmds.get(&c.overlay_key());
        if let Some(o) = o {
            check_overlay_args(c, o)?;
        }
        let mut g = Gen { ov: o, valkey_own: c.server.as_deref() == Some("valkey"), types: Vec::new() };
        let spec_ident = format_ident!("SPEC_{}", c.handler_name().to_ascii_uppercase());
        let tname = c.type_name();
        let args_static = c.args.iter().map(|a| g.arg_static(a)).collect::<Res<Vec<_>>>()?;
        let handler = c.handler_name();
        let run = {
            // The typed struct is generated for the commands that have a handler; the others
            // are checked by the parser over the static table alone.
            match handlers.get(&handler) {
                Some(module) => {
                    // Also for `walk` handlers: one may still parse its words with the
                    // grammar on some profiles (`T::from_block` over `grammar::parse`).
                    g.define_struct(&c.args, &tname);
                    let run_ident = format_ident!("run_{}", handler);
                    let t = ident(&tname);
                    let path: TokenStream = format!("crate::cmd::{module}::{handler}")
                        .parse()
                        .map_err(|_| "bad handler path".to_string())?;
                    let skip = if c.container.is_some() { 2usize } else { 1usize };
                    let walk = o.is_some_and(|o| o.walk);
                    let keys_first = o.is_some_and(|o| o.keys_first.is_some());
                    let body = if walk {
                        // Overlay `walk`: the handler reads its words itself, applying each
                        // option as it reads it (HELLO).
                        quote!(#path(ctx, words))
                    } else {
                        let pre = if keys_first {
                            quote!(crate::dispatch::check_keys_first(ctx, &#spec_ident, words)?;)
                        } else {
                            quote!()
                        };
                        quote! {
                            #pre
                            let parsed = grammar::parse(&#spec_ident, words, &ctx.profile(), ctx.st.dbs.len())
                                .map_err(|e| crate::dispatch::arg_error_at(&#spec_ident, argv, #skip, e, &ctx.profile()))?;
                            #path(ctx, #t::from_block(&parsed))
                        }
                    };
                    items.push(quote! {
                        fn #run_ident(ctx: &mut crate::server::Ctx<'_>, argv: &[Vec<u8>]) -> crate::reply::CmdResult {
                            let words = argv.get(#skip..).unwrap_or(&[]);
                            #body
                        }
                    });
                    quote!(Some(#run_ident))
                }
                None => quote!(None),
            }
        };
        items.extend(g.types);
        let avail = avail_tokens(Some(&c.since), &command_rule(c, o, specs, ov)?)?;
        let variants = variants_tokens(o)?;
        let mut sub_specs: Vec<&Cmd> =
            specs.values().filter(|s| s.container.as_deref() == Some(c.key.as_str())).collect();
        sub_specs.sort_by(|a, b| (&a.name, a.variant).cmp(&(&b.name, b.variant)));
        let subs: Vec<TokenStream> = sub_specs
            .iter()
            .map(|s| {
                let i = format_ident!("SPEC_{}", s.handler_name().to_ascii_uppercase());
                quote!(&#i)
            })
            .collect();
        let strs = |v: &Vec<String>| quote!(&[#(#v),*]);
        let opt = |v: &Option<String>| match v {
            Some(s) => quote!(Some(#s)),
            None => quote!(None),
        };
        let (name, fullname, group, since, summary, complexity) =
            (&c.name, &c.fullname, &c.group, &c.since, &c.summary, &c.complexity);
        let container_name = opt(&c.container.as_ref().map(|x| x.to_ascii_lowercase()));
        let module = opt(&c.module);
        let arity = c.arity as i32;
        let (flags, acl, docf, tips) = (strs(&c.flags), strs(&c.acl), strs(&c.doc_flags), strs(&c.tips));
        let (dep, rep) = (opt(&c.deprecated_since), opt(&c.replaced_by));
        let key_specs = key_specs_tokens(&c.key_specs);
        let errors = match o {
            Some(o) if o.syntax.is_some() || o.trailing_ok || o.keys_first.is_some() || o.max_words.is_some() => {
                let syntax = error_path(o.syntax.as_deref().unwrap_or("SYNTAX"));
                let trailing_ok = o.trailing_ok;
                let max_words = match o.max_words {
                    Some(n) => quote!(Some(#n)),
                    None => quote!(None),
                };
                let keys_first = match &o.keys_first {
                    Some((t, e)) => {
                        let e = error_path(e);
                        quote!(Some((#t, #e)))
                    }
                    None => quote!(None),
                };
                quote!(&Errors { syntax: #syntax, trailing_ok: #trailing_ok, keys_first: #keys_first, max_words: #max_words })
            }
            _ => quote!(&Errors::DEFAULT),
        };
        items.push(quote! {
            pub static #spec_ident: CommandSpec = CommandSpec {
                name: #name, fullname: #fullname, container: #container_name, group: #group, since: #since,
                summary: #summary, complexity: #complexity, arity: #arity, variants: &[#(#variants),*], module: #module,
                flags: #flags, acl_categories: #acl, doc_flags: #docf, tips: #tips,
                deprecated_since: #dep, replaced_by: #rep, key_specs: &[#(#key_specs),*],
                args: &[#(#args_static),*], subcommands: &[#(#subs),*], avail: #avail, run: #run, errors: #errors,
            };
        });
        if c.container.is_none() {
            top.push((c.name.clone(), c.variant, spec_ident));
        }
    }
    for k in ov.cmds.keys() {
        if !specs.values().any(|c| &c.overlay_key() == k) {
            println!("cargo::warning=overlay names {k}, which has no spec");
        }
    }
    // By name; a server's own version of a command comes after the general one.
    top.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let n = top.len();
    let refs: Vec<TokenStream> = top.iter().map(|(_, _, i)| quote!(&#i)).collect();
    Ok(quote! {
        use crate::spec::grammar::{self, PVal};
        #[allow(unused_imports)]
        use crate::spec::grammar::{pv_at, pv_block, pv_f64, pv_int, pv_many, pv_oneof, pv_present, pv_word};
        #(#items)*
        /// Every top-level command, sorted by name.
        pub static COMMANDS: [&CommandSpec; #n] = [#(#refs),*];
    })
}
