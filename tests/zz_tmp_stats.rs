use fakeredis::fuzzing::{gen_command, Input, PROFILES};
use fakeredis::Server;
#[test]
fn stats() {
    let mut x: u64 = 0x5eed_0004;
    let (mut ok, mut arity, mut unknown, mut syntax, mut other_err, mut notimpl) = (0, 0, 0, 0, 0, 0);
    let mut errs = std::collections::BTreeMap::<String, usize>::new();
    for _ in 0..5000 {
        let data: Vec<u8> = (0..64).map(|_| { x ^= x << 13; x ^= x >> 7; x ^= x << 17; x as u8 }).collect();
        let mut u = Input::new(&data);
        let p = PROFILES[2];
        let s = Server::with_profile(p);
        let mut c = s.client();
        let argv = gen_command(&mut u);
        let r = c.execute(&argv).unwrap();
        match r.error_text() {
            None => ok += 1,
            Some(e) if e.contains("wrong number") => arity += 1,
            Some(e) if e.contains("unknown") => unknown += 1,
            Some(e) if e == "ERR syntax error" => syntax += 1,
            Some(e) if e.contains("not implemented") => notimpl += 1,
            Some(e) => { other_err += 1; *errs.entry(e.chars().take(60).collect()).or_default() += 1; }
        }
    }
    println!("ok {ok} arity {arity} unknown {unknown} syntax {syntax} notimpl {notimpl} other {other_err}");
    for (e, n) in errs { println!("{n:5} {e}"); }
}
