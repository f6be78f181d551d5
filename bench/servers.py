"""The servers under test: each writes its own equivalent, tuned configuration
(workers = CPUs, access log off, zero-copy file sending on, keep-alive on,
open-file cache on, TLS 1.3 only with the same certificate), starts in the
foreground, and reports every PID whose CPU counts."""
import os
import signal
import subprocess
import time

CPUS = len(os.sched_getaffinity(0))

# The CPU layout: "box" = every server thread and the load generator share every CPU
# (how bench/run.sh has always measured); "alone" = the server on the last CPU with
# one worker, the load generator on the others (taskset), so the server's core does
# nothing else.
LAYOUT = {"name": "box", "workers": CPUS, "server_cpus": None}


def set_layout(name):
    if name == "alone":
        cpus = sorted(os.sched_getaffinity(0))
        LAYOUT.update(name=name, workers=1, server_cpus=str(cpus[-1]))
    else:
        LAYOUT.update(name="box", workers=CPUS, server_cpus=None)


def client_prefix():
    """taskset for the load generator in the alone layout (every CPU but the server's)."""
    if LAYOUT["name"] != "alone":
        return []
    others = [c for c in sorted(os.sched_getaffinity(0)) if str(c) != LAYOUT["server_cpus"]]
    return ["taskset", "-c", ",".join(map(str, others))] if others else []


def children_of(pid):
    """PIDs whose parent is `pid` (nginx and lighttpd workers)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass
    return out


class Server:
    name = "?"

    def __init__(self, work, site, cert, key, http_port, https_port):
        self.work, self.site, self.cert, self.key = work, site, cert, key
        self.http_port, self.https_port = http_port, https_port
        self.h2c_port = http_port  # HTTP/2 with prior knowledge: the plain port, unless a server needs its own
        self.proc = None
        self.log = None
        self.dir = os.path.join(work, self.name)
        os.makedirs(self.dir, exist_ok=True)

    def command(self):
        raise NotImplementedError

    def start(self):
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        cmd = self.command()
        if LAYOUT["server_cpus"] is not None:
            cmd = ["taskset", "-c", LAYOUT["server_cpus"]] + cmd
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + 15
        import socket
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {open(self.log.name).read()[-2000:]}")
            try:
                for port in (self.http_port, self.https_port):
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                time.sleep(0.3)  # let every worker reach its accept loop
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start")

    def pids(self):
        return [self.proc.pid] + children_of(self.proc.pid)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.log:
            self.log.close()


class Uringd(Server):
    name = "uringd"

    def __init__(self, *args, binary, extra="", label=None):
        if label:
            self.name = label
        self.binary, self.extra = binary, extra
        super().__init__(*args)

    def command(self):
        conf = os.path.join(self.dir, "uringd.conf")
        # Root, like the peers' workers here ("user root" for nginx); a variant's own
        # [server] and [tls] keys join these tables.
        extra = self.extra
        for table in (f"[server]\nallow_root = true\nworkers = {LAYOUT['workers']}\n",
                      f'[tls]\ncertificate = "{self.cert}"\nkey = "{self.key}"\nmin_version = "1.3"\n'):
            head = table.split("\n", 1)[0] + "\n"
            extra = extra.replace(head, table, 1) if head in extra else table + extra
        with open(conf, "w") as f:
            f.write(f'[[listen]]\naddress = "127.0.0.1:{self.http_port}"\n'
                    f'[[listen]]\naddress = "127.0.0.1:{self.https_port}"\ntls = true\n'
                    f'[[site]]\nroot = "{self.site}"\nprecompressed = true\n'
                    f'[limits]\nmax_connections = 8192\n[log]\nlevel = "warn"\n{extra}\n')
        return [self.binary, "-c", conf]


def ktls_available():
    """Whether this kernel has TLS offload (the "tls" upper-layer protocol): set it on
    a connected loopback socket, as uringd and OpenSSL do after a handshake."""
    import socket
    TCP_ULP = 31
    with socket.socket() as lst, socket.socket() as cli:
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)
        cli.connect(lst.getsockname())
        srv, _ = lst.accept()
        with srv:
            try:
                cli.setsockopt(socket.IPPROTO_TCP, TCP_ULP, b"tls")
                return True
            except OSError:
                return False


def tls_stat():
    """The kernel's TLS counters (/proc/net/tls_stat), empty without the tls module."""
    try:
        with open("/proc/net/tls_stat") as f:
            return {k: int(v) for k, v in (line.split() for line in f if line.strip())}
    except OSError:
        return {}


class Nginx(Server):
    name = "nginx"
    # nginx-ktls (kTLS hosts only): OpenSSL hands the keys to the kernel and file
    # bodies leave with SSL_sendfile.
    ssl_extra = ""

    def __init__(self, *args):
        super().__init__(*args)
        # nginx 1.22's plain "listen … http2" speaks HTTP/2 only: h2c gets its own port.
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.h2c_port = s.getsockname()[1]

    def command(self):
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""
user root;
worker_processes {LAYOUT['workers']};
worker_cpu_affinity auto;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_timeout 60s; keepalive_requests 1000000;
  open_file_cache max=10000 inactive=60s; open_file_cache_valid 60s;
  include /etc/nginx/mime.types; default_type application/octet-stream;
  gzip_static on;
  ssl_protocols TLSv1.3; ssl_session_tickets on;
  ssl_certificate {self.cert}; ssl_certificate_key {self.key};{self.ssl_extra}
  server {{
    listen 127.0.0.1:{self.http_port} reuseport;
    listen 127.0.0.1:{self.https_port} ssl http2 reuseport;
    listen 127.0.0.1:{self.h2c_port} http2 reuseport;
    root {self.site};
  }}
}}
""")
        return ["nginx", "-c", conf, "-p", self.dir, "-g", "daemon off;"]


class H2o(Server):
    name = "h2o"

    def command(self):
        conf = os.path.join(self.dir, "h2o.conf")
        with open(conf, "w") as f:
            f.write(f"""
user: root
num-threads: {LAYOUT['workers']}
max-connections: 8192
pid-file: {self.dir}/h2o.pid
error-log: {self.dir}/error.log
listen:
  host: 127.0.0.1
  port: {self.http_port}
listen:
  host: 127.0.0.1
  port: {self.https_port}
  ssl:
    certificate-file: {self.cert}
    key-file: {self.key}
    minimum-version: TLSv1.2
    ocsp-update-interval: 0
file.send-gzip: ON
http1-request-timeout: 60
hosts:
  "*":
    paths:
      "/":
        file.dir: {self.site}
""")
        return ["h2o", "-c", conf]


class Lighttpd(Server):
    name = "lighttpd"

    def command(self):
        conf = os.path.join(self.dir, "lighttpd.conf")
        os.makedirs(os.path.join(self.dir, "deflate-cache"), exist_ok=True)
        with open(conf, "w") as f:
            f.write(f"""
server.modules = ("mod_openssl", "mod_deflate")
server.document-root = "{self.site}"
server.bind = "127.0.0.1"
server.port = {self.http_port}
server.max-worker = {LAYOUT['workers'] if LAYOUT['workers'] > 1 else 0}
server.max-fds = 16384
server.max-connections = 8192
server.max-keep-alive-requests = 1000000
server.max-keep-alive-idle = 60
server.network-backend = "sendfile"
server.stat-cache-engine = "simple"
server.errorlog = "{self.dir}/error.log"
server.pid-file = "{self.dir}/lighttpd.pid"
mimetype.assign = (".bin" => "application/octet-stream", ".html" => "text/html", ".css" => "text/css",
                   ".js" => "text/javascript", ".json" => "application/json", ".svg" => "image/svg+xml",
                   ".woff2" => "font/woff2", ".jpg" => "image/jpeg", ".png" => "image/png",
                   ".webp" => "image/webp")
# lighttpd has no precompressed siblings; its documented equivalent is mod_deflate
# with a cache directory (each file compressed once, then served from the cache).
deflate.cache-dir = "{self.dir}/deflate-cache"
deflate.allowed-encodings = ("br", "gzip")
deflate.mimetypes = ("text/", "application/json", "image/svg+xml")
$SERVER["socket"] == "127.0.0.1:{self.https_port}" {{
  ssl.engine = "enable"
  ssl.pemfile = "{self.cert}"
  ssl.privkey = "{self.key}"
  ssl.openssl.ssl-conf-cmd = ("MinProtocol" => "TLSv1.3")
}}
""")
        return ["lighttpd", "-D", "-f", conf]


class NginxKtls(Nginx):
    name = "nginx-ktls"
    ssl_extra = "\n  ssl_conf_command Options KTLS;"


PEERS = {"nginx": Nginx, "h2o": H2o, "lighttpd": Lighttpd}
# Added to the default servers where the kernel has TLS offload (ktls_available):
# uringd's default (ktls = "auto") then uses it, and these two are its references.
KTLS_PEERS = {"nginx-ktls": NginxKtls}

# uringd variants measured in the same run, so the `auto` defaults follow data.
VARIANTS = {
    "uringd": "",
    "uringd-pinned": '[server]\npin_workers = "on"\n',
    "uringd-incoming-cpu": "[server]\nincoming_cpu = true\n",
    "uringd-sqpoll": '[io_uring]\nsqpoll = "on"\n',
    "uringd-sqpoll-shared": '[io_uring]\nsqpoll = "on"\nsqpoll_shared = true\n',
    "uringd-zc": "[io_uring]\nsend_zc_threshold = 16384\n",
    "uringd-sendfile": '[io_uring]\nlarge_body = "sendfile"\n',
    "uringd-batch": "[io_uring]\nbatch_wait_us = 20\n",
    "uringd-read": '[io_uring]\nlarge_body = "read"\n',
    "uringd-splice": '[io_uring]\nlarge_body = "splice"\n',
    "uringd-small64k": "[cache]\nsmall_file_max = 65536\n",  # 64 KiB bodies kept in memory
    "uringd-nosmall": "[cache]\nsmall_file_max = 0\n",  # small bodies from the file too (sendfile on TCP)
    "uringd-buf256k": "[io_uring]\nfixed_buffer_size = 262144\n",  # a 64 KiB body + head in one TLS flight
}
KTLS_VARIANTS = {"uringd-userspace-tls": '[tls]\nktls = "off"\n'}
# Every server a name may select (--servers), on any kernel.
ALL_PEERS = {**PEERS, **KTLS_PEERS}
ALL_VARIANTS = {**VARIANTS, **KTLS_VARIANTS}
