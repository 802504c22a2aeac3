#!/usr/bin/env python3
"""Record (or check) conformance transcripts against a real redis-server.

Usage:
    python3 tests/tools/record.py --start tests/transcripts/*.txt
    python3 tests/tools/record.py --port 6390 tests/transcripts/strings.txt
    python3 tests/tools/record.py --start --check tests/transcripts/*.txt

The transcript format is described in tests/transcripts/README.md. Record mode sends every
command and rewrites the expected line that follows it with the rendered reply; everything
else (comments, headers, directives, blank lines) is kept as it is. Check mode only compares
and prints mismatches (exit status 1 when any file mismatches).

Parsing rules this tool uses (the Rust harness should agree):
  * `> CMD` / `N> CMD` is a command for client 1 / client N (clients open on first use).
  * The line right after a command is its expected reply, unless that line is blank, another
    command, a directive (`!...`), a header (`@...`) or a comment (a `#` line other than the
    RESP3 booleans `#t` / `#f`); in that case the command has no expected reply yet and record
    mode inserts one.
  * Directives (`!sort`, `!approx N`, `!pattern`, `!advance T`) apply to the next command.
  * `!sort` sorts arrays, sets and maps at every depth by the byte order of each element's
    rendering (map entries by the rendering of "key: value").
  * Every command reads exactly one reply, except one whose expected line is `(blocked)`:
    its reply is left unread; or `(no reply)`: the server sends none. `N<` reads client N's next frame (a push, a blocked reply).

A file with the header `@cluster` runs on a server in cluster mode that serves all 16384 slots;
`@config name value` headers start the server with `--name value`.

With --start, a fresh `redis-server --port <free> --save '' --appendonly no` is launched in a
temporary directory for each file and killed afterwards. With --port, the given server is used
and (unless --no-flush) FLUSHALL is sent before each file.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

# --------------------------------------------------------------------------------------------
# Argument splitting (redis-cli / sdssplitargs style)
# --------------------------------------------------------------------------------------------

HEX = "0123456789abcdefABCDEF"


class TranscriptError(Exception):
    pass


def split_args(line):
    """Split a command line into a list of byte strings, like redis-cli does."""
    args = []
    i = 0
    n = len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        if line[i] == '"':
            i += 1
            while True:
                if i >= n:
                    raise TranscriptError("unbalanced double quote")
                c = line[i]
                if c == '\\' and i + 3 < n and line[i + 1] == 'x' and line[i + 2] in HEX \
                        and line[i + 3] in HEX:
                    cur.append(int(line[i + 2:i + 4], 16))
                    i += 4
                    continue
                if c == '\\' and i + 1 < n:
                    e = line[i + 1]
                    cur += {'n': b'\n', 'r': b'\r', 't': b'\t', 'b': b'\b',
                            'a': b'\a'}.get(e, e.encode('utf-8'))
                    i += 2
                    continue
                if c == '"':
                    i += 1
                    if i < n and not line[i].isspace():
                        raise TranscriptError("closing quote must be followed by a space")
                    break
                cur += c.encode('utf-8')
                i += 1
        elif line[i] == "'":
            i += 1
            while True:
                if i >= n:
                    raise TranscriptError("unbalanced single quote")
                c = line[i]
                if c == '\\' and i + 1 < n and line[i + 1] == "'":
                    cur += b"'"
                    i += 2
                    continue
                if c == "'":
                    i += 1
                    if i < n and not line[i].isspace():
                        raise TranscriptError("closing quote must be followed by a space")
                    break
                cur += c.encode('utf-8')
                i += 1
        else:
            while i < n and not line[i].isspace():
                cur += line[i].encode('utf-8')
                i += 1
        args.append(bytes(cur))


# --------------------------------------------------------------------------------------------
# RESP2 + RESP3 reply parser
# --------------------------------------------------------------------------------------------

class Reply:
    """A parsed reply: kind is one of simple, error, int, bulk, nil, nilarray, array, null,
    double, bool, bignum, verbatim, map, set, push, attr."""
    __slots__ = ('kind', 'value', 'extra')

    def __init__(self, kind, value=None, extra=None):
        self.kind = kind
        self.value = value
        self.extra = extra


class ConnectionClosed(Exception):
    pass


class Conn:
    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.closed = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed = True

    def send(self, args):
        out = bytearray(b'*%d\r\n' % len(args))
        for a in args:
            out += b'$%d\r\n' % len(a)
            out += a
            out += b'\r\n'
        self.sock.sendall(bytes(out))

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionClosed()
        self.buf += data

    def _line(self):
        while True:
            idx = self.buf.find(b'\r\n')
            if idx >= 0:
                line = bytes(self.buf[:idx])
                del self.buf[:idx + 2]
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data = bytes(self.buf[:n])
        if self.buf[n:n + 2] != b'\r\n':
            raise TranscriptError("bulk payload not terminated by CRLF")
        del self.buf[:n + 2]
        return data

    def read(self):
        line = self._line()
        if not line:
            raise TranscriptError("empty reply line")
        t, rest = line[:1], line[1:]
        if t == b'+':
            return Reply('simple', rest)
        if t == b'-':
            return Reply('error', rest)
        if t == b':':
            return Reply('int', int(rest))
        if t == b'$':
            n = int(rest)
            if n < 0:
                return Reply('nil')
            return Reply('bulk', self._exact(n))
        if t == b'*':
            n = int(rest)
            if n < 0:
                return Reply('nilarray')
            return Reply('array', [self.read() for _ in range(n)])
        if t == b'_':
            return Reply('null')
        if t == b',':
            return Reply('double', rest)
        if t == b'#':
            return Reply('bool', rest == b't')
        if t == b'(':
            return Reply('bignum', rest)
        if t == b'=':
            data = self._exact(int(rest))
            return Reply('verbatim', data[4:], data[:3])
        if t == b'!':
            return Reply('error', self._exact(int(rest)))
        if t == b'%':
            n = int(rest)
            return Reply('map', [(self.read(), self.read()) for _ in range(n)])
        if t == b'~':
            return Reply('set', [self.read() for _ in range(int(rest))])
        if t == b'>':
            return Reply('push', [self.read() for _ in range(int(rest))])
        if t == b'|':
            n = int(rest)
            attrs = [(self.read(), self.read()) for _ in range(n)]
            return Reply('attr', self.read(), attrs)
        raise TranscriptError("unknown RESP type byte %r" % t)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

def quote(data):
    out = ['"']
    for b in data:
        if b == 0x22:
            out.append('\\"')
        elif b == 0x5c:
            out.append('\\\\')
        elif b == 0x0a:
            out.append('\\n')
        elif b == 0x0d:
            out.append('\\r')
        elif b == 0x09:
            out.append('\\t')
        elif 0x20 <= b <= 0x7e:
            out.append(chr(b))
        else:
            out.append('\\x%02x' % b)
    out.append('"')
    return ''.join(out)


def text(data):
    """Render a status/error/number line: printable ASCII as is, anything else as \\xHH."""
    return ''.join(chr(b) if 0x20 <= b <= 0x7e else '\\x%02x' % b for b in data)


def render(r, sort=False):
    k = r.kind
    if k == 'simple':
        return '+' + text(r.value)
    if k == 'error':
        return '-' + text(r.value)
    if k == 'int':
        return ':%d' % r.value
    if k == 'bulk':
        return quote(r.value)
    if k == 'nil':
        return '(nil)'
    if k == 'nilarray':
        return '(nil-array)'
    if k == 'null':
        return '_'
    if k == 'double':
        return ',' + text(r.value)
    if k == 'bool':
        return '#t' if r.value else '#f'
    if k == 'bignum':
        return '(' + text(r.value)
    if k == 'verbatim':
        return '=' + text(r.extra) + ' ' + quote(r.value)
    if k in ('array', 'set', 'push'):
        items = [render(x, sort) for x in r.value]
        if sort:
            items.sort(key=lambda s: s.encode('utf-8'))
        body = '[' + ', '.join(items) + ']'
        return {'array': '', 'set': '~', 'push': '>'}[k] + body
    if k == 'map':
        items = [render(a, sort) + ': ' + render(b, sort) for a, b in r.value]
        if sort:
            items.sort(key=lambda s: s.encode('utf-8'))
        return '{' + ', '.join(items) + '}'
    if k == 'attr':
        items = [render(a, sort) + ': ' + render(b, sort) for a, b in r.extra]
        return '|{' + ', '.join(items) + '} ' + render(r.value, sort)
    raise TranscriptError("cannot render %s" % k)


# --------------------------------------------------------------------------------------------
# Transcript parsing
# --------------------------------------------------------------------------------------------

CMD_RE = re.compile(r'^(\d*)>\s(.*)$')
RECV_RE = re.compile(r'^(\d*)<\s*$')
BLOCKED = '(blocked)'
NO_REPLY = '(no reply)'
DIRECTIVE_RE = re.compile(r'^!(sort|approx|pattern|advance)\b\s*(.*)$')


def is_command(line):
    return CMD_RE.match(line) is not None or RECV_RE.match(line) is not None


def is_expected_line(line):
    """Whether a line right after a command is that command's expected reply."""
    s = line.strip()
    if not s:
        return False
    if is_command(line) or s.startswith('!') or s.startswith('@'):
        return False
    if s.startswith('#') and s not in ('#t', '#f'):
        return False
    return True


class Step:
    def __init__(self, lineno, client, raw, args, directives, expected_idx):
        self.lineno = lineno          # 1-based line number of the command
        self.client = client
        self.raw = raw
        self.args = args
        self.directives = directives  # dict
        self.expected_idx = expected_idx  # index into lines, or None


def parse_transcript(path, lines):
    headers = {}
    steps = []
    pending = {}
    seen_command = False
    i = 0
    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if not s or (s.startswith('#')):
            i += 1
            continue
        if s.startswith('@'):
            if seen_command:
                raise TranscriptError("%s:%d: header after the first command" % (path, i + 1))
            name, _, rest = s[1:].partition(' ')
            headers[name] = rest.strip()
            if name == 'config':
                headers.setdefault('config-lines', []).append(rest.strip())
            i += 1
            continue
        m = DIRECTIVE_RE.match(s)
        if m:
            name, arg = m.group(1), m.group(2).strip()
            if name == 'approx':
                try:
                    pending['approx'] = int(arg)
                except ValueError:
                    raise TranscriptError("%s:%d: !approx needs an integer" % (path, i + 1))
            elif name == 'advance':
                if not re.fullmatch(r'\d+(ms|s)', arg):
                    raise TranscriptError("%s:%d: bad !advance %r" % (path, i + 1, arg))
                steps.append(Step(i + 1, None, s, None, {'advance': arg}, None))
            else:
                pending[name] = True
            i += 1
            continue
        if s.startswith('!'):
            raise TranscriptError("%s:%d: unknown directive %r" % (path, i + 1, s))
        m = RECV_RE.match(line)
        if m:
            seen_command = True
            exp = i + 1 if i + 1 < len(lines) and is_expected_line(lines[i + 1]) else None
            steps.append(Step(i + 1, int(m.group(1) or '1'), s, [], pending, exp))
            pending = {}
            i += 2 if exp is not None else 1
            continue
        m = CMD_RE.match(line)
        if m:
            seen_command = True
            client = int(m.group(1) or '1')
            try:
                args = split_args(m.group(2))
            except TranscriptError as e:
                raise TranscriptError("%s:%d: %s" % (path, i + 1, e))
            if not args:
                raise TranscriptError("%s:%d: empty command" % (path, i + 1))
            exp = None
            if i + 1 < len(lines) and is_expected_line(lines[i + 1]):
                exp = i + 1
            steps.append(Step(i + 1, client, m.group(2), args, pending, exp))
            pending = {}
            i += 2 if exp is not None else 1
            continue
        raise TranscriptError("%s:%d: expected reply line without a command: %r"
                              % (path, i + 1, line))
    if pending:
        raise TranscriptError("%s: directive(s) at end of file apply to no command" % path)
    return headers, steps


# --------------------------------------------------------------------------------------------
# Server management
# --------------------------------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, binary, cluster=False, config=()):
        self.dir = tempfile.mkdtemp(prefix='fakeredis-record-')
        self.port = free_port()
        extra = ['--cluster-enabled', 'yes'] if cluster else []
        for line in config:
            name, value = line.split(' ', 1)
            extra += ['--' + name, value.strip()]
        self.proc = subprocess.Popen(
            [binary, '--port', str(self.port), '--bind', '127.0.0.1', '--save', '',
             '--appendonly', 'no', '--dir', self.dir, '--daemonize', 'no',
             '--logfile', os.path.join(self.dir, 'redis.log')] + extra,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.dir)
        deadline = time.time() + 10
        while True:
            try:
                c = Conn('127.0.0.1', self.port, 2)
                c.send([b'PING'])
                c.read()
                c.close()
                return
            except (OSError, ConnectionClosed):
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError("redis-server did not start (see %s)" % self.dir)
                time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Running a file
# --------------------------------------------------------------------------------------------

def compare(step, actual_reply, expected):
    """Return True when the reply matches the expected line under the step's directives."""
    d = step.directives
    rendered = render(actual_reply, sort=d.get('sort', False))
    if d.get('pattern'):
        try:
            return re.fullmatch(expected, rendered) is not None
        except re.error:
            return False
    if 'approx' in d and actual_reply.kind == 'int':
        m = re.fullmatch(r':(-?\d+)', expected.strip())
        if m:
            return abs(int(m.group(1)) - actual_reply.value) <= d['approx']
    return rendered == expected


def wait_blocked(host, port, conn):
    """Waits until the server lists `conn` as blocked (flags=b), so that the next command
    of another client surely comes after the block."""
    addr = '%s:%d' % conn.sock.getsockname()[:2]
    control = Conn(host, port, 5)
    try:
        for _ in range(5000):
            control.send([b'CLIENT', b'LIST'])
            text = control.read().value.decode('utf-8', 'replace')
            for line in text.splitlines():
                fields = dict(f.split('=', 1) for f in line.split(' ') if '=' in f)
                if fields.get('addr') == addr and 'b' in fields.get('flags', ''):
                    return
            time.sleep(0.001)
        raise TranscriptError("the server never showed the client blocked")
    finally:
        control.close()


def run_file(path, args):
    with open(path, encoding='utf-8') as f:
        content = f.read()
    lines = content.split('\n')
    trailing_newline = content.endswith('\n')
    if trailing_newline:
        lines.pop()
    headers, steps = parse_transcript(path, lines)
    if 'fake-only' in headers:
        if not headers['fake-only']:
            raise TranscriptError("%s: @fake-only needs a reason" % path)
        print("%s: skipped (@fake-only: %s)" % (path, headers['fake-only']))
        return True
    for st in steps:
        if 'advance' in st.directives:
            raise TranscriptError("%s:%d: !advance is only allowed in @fake-only files"
                                  % (path, st.lineno))
    prof = headers.get('profile', 'redis 7.0.15')
    if not prof.startswith('redis 7.0'):
        print("%s: warning: @profile %s recorded against redis-server 7.0" % (path, prof),
              file=sys.stderr)

    server = None
    if args.start:
        server = Server(args.redis_server, cluster='cluster' in headers,
                        config=headers.get('config-lines', []))
        port = server.port
        if 'cluster' in headers:
            # One node with every slot; a new node serves writes only after two seconds.
            c = Conn('127.0.0.1', port, args.timeout)
            c.send([b'CLUSTER', b'ADDSLOTSRANGE', b'0', b'16383'])
            c.read()
            for _ in range(200):
                c.send([b'CLUSTER', b'INFO'])
                if (c.read().value or b'').startswith(b'cluster_state:ok'):
                    break
                time.sleep(0.05)
            c.close()
    else:
        port = args.port
        if not args.no_flush:
            c = Conn(args.host, port, args.timeout)
            c.send([b'FLUSHALL'])
            c.read()
            c.close()

    conns = {}
    ok = True
    replacements = {}   # line index -> new text
    inserts = {}        # line index after which to insert -> text
    try:
        for st in steps:
            if st.args is None:
                continue
            conn = conns.get(st.client)
            if conn is None or conn.closed:
                conn = Conn(args.host, port, args.timeout)
                conns[st.client] = conn
            st_args = []
            for a in st.args:
                m = re.fullmatch(rb'\$id:(\d+)', a)
                if m:
                    # client N's id, asked once with CLIENT ID on that client
                    n = int(m.group(1))
                    c = conns.get(n)
                    if c is None or c.closed:
                        c = Conn(args.host, port, args.timeout)
                        conns[n] = c
                    if not hasattr(c, 'client_id'):
                        c.send([b'CLIENT', b'ID'])
                        c.client_id = c.read().value
                    a = b'%d' % c.client_id
                st_args.append(a)
            st = Step(st.lineno, st.client, st.raw, st_args, st.directives, st.expected_idx)
            expected = lines[st.expected_idx] if st.expected_idx is not None else None
            if st.args and expected is not None and expected.strip() == NO_REPLY:
                conn.send(st.args)  # the server answers nothing (CLIENT REPLY OFF ...)
                continue
            if st.args and expected is not None and expected.strip() == BLOCKED:
                conn.send(st.args)  # its reply is read by a later `N<`
                wait_blocked(args.host, port, conn)
                continue
            try:
                if st.args:
                    conn.send(st.args)
                reply = conn.read()
            except ConnectionClosed:
                conn.close()
                reply = Reply('error', b'(connection closed)')
            except socket.timeout:
                raise TranscriptError("%s:%d: no reply within %ss to %s"
                                      % (path, st.lineno, args.timeout, st.raw))
            if st.args and st.args[0].upper() == b'QUIT' and reply.kind == 'simple':
                conn.close()
            rendered = render(reply, sort=st.directives.get('sort', False))
            expected = lines[st.expected_idx] if st.expected_idx is not None else None
            matches = expected is not None and compare(st, reply, expected)
            if args.check:
                if not matches:
                    ok = False
                    print("%s:%d: %s\n  expected: %s\n  got:      %s"
                          % (path, st.lineno, lines[st.lineno - 1].strip(), expected,
                             rendered))
                continue
            if st.directives.get('pattern'):
                if expected is None:
                    new = re.escape(rendered)
                    print("%s:%d: warning: !pattern without an expected line; wrote the "
                          "escaped reply, edit it" % (path, st.lineno), file=sys.stderr)
                    inserts[st.lineno - 1] = new
                elif not matches:
                    print("%s:%d: warning: !pattern %r does not match %r (kept)"
                          % (path, st.lineno, expected, rendered), file=sys.stderr)
                    ok = False
                continue
            if 'approx' in st.directives and matches:
                continue  # keep the existing value: it is within the tolerance
            if expected is None:
                inserts[st.lineno - 1] = rendered
            elif expected != rendered:
                replacements[st.expected_idx] = rendered
    finally:
        for c in conns.values():
            c.close()
        if server:
            server.stop()

    if not args.check:
        out = []
        for idx, line in enumerate(lines):
            out.append(replacements.get(idx, line))
            if idx in inserts:
                out.append(inserts[idx])
        new_content = '\n'.join(out) + ('\n' if trailing_newline else '')
        changed = len(replacements) + len(inserts)
        if new_content != content:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(new_content)
        print("%s: %d commands, %d replies updated" % (path, sum(1 for s in steps if s.args),
                                                        changed))
    else:
        print("%s: %d commands, %s" % (path, sum(1 for s in steps if s.args),
                                       'ok' if ok else 'MISMATCH'))
    return ok


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument('--port', type=int, help='use an already running server on this port')
    g.add_argument('--start', action='store_true',
                   help='start a fresh redis-server per file on a free port')
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--redis-server', default=shutil.which('redis-server') or 'redis-server')
    p.add_argument('--check', action='store_true', help='only compare; exit 1 on mismatch')
    p.add_argument('--no-flush', action='store_true',
                   help='with --port: do not FLUSHALL before each file')
    p.add_argument('--timeout', type=float, default=5.0, help='seconds to wait for a reply')
    p.add_argument('files', nargs='+')
    args = p.parse_args()
    all_ok = True
    for path in args.files:
        try:
            if not run_file(path, args):
                all_ok = False
        except TranscriptError as e:
            print("error: %s" % e, file=sys.stderr)
            all_ok = False
    sys.exit(0 if all_ok else 1)


if __name__ == '__main__':
    main()
