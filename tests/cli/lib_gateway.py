"""lib_gateway.py - raw HTTP/1.1 to a running gateway, for the shell
tests that watch its HTTP threads (t0260, t4030): import it with
PYTHONPATH=$TEST_DIRECTORY."""
import glob


def http_thread_ticks(pid):
    """CPU clock ticks (user + system) each HTTP thread of the gateway
    pid has used, by the thread's /proc stat path; the HTTP threads are
    libmicrohttpd's, named MHD-*."""
    out = {}
    for t in glob.glob("/proc/%s/task/*/stat" % pid):
        try:
            s = open(t).read()
        except OSError:
            continue
        name = s[s.index("(") + 1:s.rindex(")")]
        f = s[s.rindex(")") + 2:].split()
        if name.startswith("MHD-"):
            out[t] = int(f[11]) + int(f[12])
    return out


def request(body, endpoint="churn"):
    """A CSV invocation of endpoint as bytes to send."""
    return ("POST /endpoints/%s/invocations HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: text/csv\r\nContent-Length: %d\r\n\r\n%s"
            % (endpoint, len(body), body)).encode()


def answer(s):
    """The status line and headers of the answer on socket s, its body
    read and dropped; b"closed" when the gateway closes the connection
    first."""
    got = b""
    while b"\r\n\r\n" not in got:
        part = s.recv(65536)
        if not part:
            return b"closed"
        got += part
    head, _, rest = got.partition(b"\r\n\r\n")
    need = int(head.lower().split(b"content-length:")[1].split()[0])
    while len(rest) < need:
        part = s.recv(1 << 20)
        if not part:
            return b"closed"
        rest += part
    return head
