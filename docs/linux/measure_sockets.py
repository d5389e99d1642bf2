#!/usr/bin/env python3
"""Linux behaviours netlab's socket layer reproduces, measured in two network namespaces.
Run as root: python3 measure.py  (creates namespaces tcsa/tcsb, deletes them at the end)."""
import subprocess, time, socket, struct, os, sys, json, shutil

A, B = "tcsa", "tcsb"
IPA, IPB = "10.201.0.1", "10.201.0.2"

# Measurement tools, not test dependencies (no test runs this script).
for tool in ("tcpdump", "ip"):
    if shutil.which(tool) is None:
        sys.exit(f"error: {tool} is needed (apt-get install -y {tool})")


def sh(cmd, check=True):
    return subprocess.run(cmd, shell=True, check=check, capture_output=True, text=True).stdout

def setup():
    sh(f"ip netns add {A}"); sh(f"ip netns add {B}")
    sh(f"ip link add v{A} type veth peer name v{B}")
    sh(f"ip link set v{A} netns {A}"); sh(f"ip link set v{B} netns {B}")
    sh(f"ip -n {A} addr add {IPA}/24 dev v{A}"); sh(f"ip -n {B} addr add {IPB}/24 dev v{B}")
    for ns in (A, B):
        sh(f"ip -n {ns} link set lo up"); sh(f"ip -n {ns} link set v{ns} up")
        sh(f"ip netns exec {ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1", check=False)

def teardown():
    sh(f"ip netns del {A}", check=False); sh(f"ip netns del {B}", check=False)

def run_in(ns, code, bg=False):
    cmd = ["ip", "netns", "exec", ns, sys.executable, "-c", code]
    if bg:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout

def capture(ns, iface, f):
    p = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-i", iface, "-nn", "--immediate-mode", "-U", "-w", f],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return p

def stop(p):
    time.sleep(0.3); p.terminate(); p.wait()

def dump(f):
    return sh(f"tcpdump -nn -tt -r {f} tcp 2>/dev/null")

out = {}

def listener_close():
    # bob listens (backlog 5); alice connects twice; alice drops the 2nd SYN-ACK so that one
    # stays half-open (SYN_RECV) at bob; bob closes the listener without accepting.
    srv = run_in(B, f"""
import socket,time,subprocess
l=socket.socket(); l.bind(('{IPB}',8000)); l.listen(5)
time.sleep(3)
print(subprocess.run('ss -tan',shell=True,capture_output=True,text=True).stdout)
l.close(); time.sleep(2)
""", bg=True)
    time.sleep(0.5)
    cap = capture(A, f"v{A}", "/tmp/tcpsock/meas/listener_close.pcap")
    cli = run_in(A, f"""
import socket,time,subprocess
c1=socket.create_connection(('{IPB}',8000))
subprocess.run('tc qdisc add dev vtcsa ingress; tc filter add dev vtcsa parent ffff: protocol ip u32 match ip protocol 6 0xff match u8 0x12 0xff at 33 action drop',shell=True)
c2=socket.socket(); c2.setblocking(False)
try: c2.connect(('{IPB}',8000))
except BlockingIOError: pass
time.sleep(4)
try: print('c1 recv', c1.recv(10))
except Exception as e: print('c1 recv', repr(e))
""")
    print(srv.communicate()[0]); stop(cap)
    out["listener_close"] = cli + dump("/tmp/tcpsock/meas/listener_close.pcap")

def reuseaddr():
    res = {}
    for old in (0, 1):
        for new in (0, 1):
            port = 8100 + old * 2 + new
            r = run_in(B, f"""
import socket,time,threading
l=socket.socket(); l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,{old}); l.bind(('{IPB}',{port})); l.listen(1)
c=socket.socket(); c.connect(('{IPB}',{port}))
s,_=l.accept(); l.close()
s.close(); time.sleep(0.2); c.close(); time.sleep(0.2)   # the server side (s, accepted: inherits reuse) closed first: TIME_WAIT
import subprocess; tw=subprocess.run('ss -tan state time-wait',shell=True,capture_output=True,text=True).stdout
n=socket.socket(); n.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,{new})
try: n.bind(('{IPB}',{port})); print('bind ok')
except OSError as e: print('bind', e)
print(tw)
""")
            res[f"old={old} new={new}"] = r
    out["reuseaddr"] = res

def shut_rd():
    r = run_in(B, f"""
import socket,time
l=socket.socket(); l.bind(('{IPB}',8200)); l.listen(1)
c=socket.socket(); c.connect(('{IPB}',8200)); s,_=l.accept()
c.send(b'before'); time.sleep(0.1)
s.shutdown(socket.SHUT_RD)
print('recv after SHUT_RD (queued before):', s.recv(100))
s.setblocking(False)
print('recv with nothing queued:', s.recv(100))
c.send(b'after'); time.sleep(0.1)
print('recv of data sent after SHUT_RD:', s.recv(100))
print('recv again:', s.recv(100))
""")
    out["shut_rd"] = r

def orphan_fin_wait2():
    # alice closes first and exits (orphan FIN_WAIT_2); bob then sends data -> RST?
    sh(f"ip netns exec {A} sysctl -qw net.ipv4.tcp_fin_timeout=3")
    cap = capture(A, f"v{A}", "/tmp/tcpsock/meas/orphan.pcap")
    srv = run_in(B, f"""
import socket,time
l=socket.socket(); l.bind(('{IPB}',8300)); l.listen(1)
s,_=l.accept(); time.sleep(1); s.send(b'late data'); time.sleep(1)
l2=socket.socket(); l2.bind(('{IPB}',8301)); l2.listen(1)
s2,_=l2.accept(); time.sleep(6)
""", bg=True)
    time.sleep(0.3)
    cli = run_in(A, f"""
import socket,time,subprocess
c=socket.create_connection(('{IPB}',8300)); c.close()
time.sleep(2)
c2=socket.create_connection(('{IPB}',8301)); c2.close(); t0=time.time()
while True:
    o=subprocess.run('ss -tan state fin-wait-2',shell=True,capture_output=True,text=True).stdout
    if '8301' not in o: print('FIN_WAIT_2 gone after %.1f s (tcp_fin_timeout=3)'%(time.time()-t0)); break
    time.sleep(0.2)
""")
    srv.communicate(); stop(cap)
    out["orphan"] = cli + dump("/tmp/tcpsock/meas/orphan.pcap")

def keepalive():
    cap = capture(A, f"v{A}", "/tmp/tcpsock/meas/keepalive.pcap")
    srv = run_in(B, f"""
import socket,time,subprocess
l=socket.socket(); l.bind(('{IPB}',8400)); l.listen(1)
s,_=l.accept(); time.sleep(3.5)
subprocess.run('tc qdisc add dev vtcsb ingress; tc filter add dev vtcsb parent ffff: protocol ip u32 match ip dport 8400 0xffff action drop',shell=True)
time.sleep(10)
""", bg=True)
    time.sleep(0.3)
    cli = run_in(A, f"""
import socket,time
c=socket.create_connection(('{IPB}',8400))
c.setsockopt(socket.SOL_SOCKET,socket.SO_KEEPALIVE,1)
c.setsockopt(socket.IPPROTO_TCP,socket.TCP_KEEPIDLE,2)
c.setsockopt(socket.IPPROTO_TCP,socket.TCP_KEEPINTVL,1)
c.setsockopt(socket.IPPROTO_TCP,socket.TCP_KEEPCNT,3)
t0=time.time()
try: print('recv', c.recv(10))
except Exception as e: print('recv after %.2f s:'%(time.time()-t0), repr(e))
""")
    srv.communicate(); stop(cap)
    out["keepalive"] = cli + dump("/tmp/tcpsock/meas/keepalive.pcap")

def syncookies():
    # backlog 2; alice drops every SYN-ACK so bob's SYN queue fills with half-open entries
    cap = capture(A, f"v{A}", "/tmp/tcpsock/meas/syncookies.pcap")
    srv = run_in(B, f"""
import socket,time,subprocess
print(subprocess.run('sysctl net.ipv4.tcp_syncookies',shell=True,capture_output=True,text=True).stdout)
l=socket.socket(); l.bind(('{IPB}',8500)); l.listen(2)
time.sleep(4)
print(subprocess.run('ss -tan',shell=True,capture_output=True,text=True).stdout)
n=0
l.setblocking(False)
while True:
    try: l.accept(); n+=1
    except BlockingIOError: break
print('accepted',n)
""", bg=True)
    time.sleep(0.3)
    cli = run_in(A, f"""
import socket,time,subprocess
subprocess.run('tc qdisc add dev vtcsa ingress; tc filter add dev vtcsa parent ffff: protocol ip u32 match ip protocol 6 0xff match u8 0x12 0xff at 33 action drop',shell=True)
ss=[]
for i in range(4):
    s=socket.socket(); s.setblocking(False)
    try: s.connect(('{IPB}',8500))
    except BlockingIOError: pass
    ss.append(s); time.sleep(0.05)
time.sleep(0.3)
subprocess.run('tc qdisc del dev vtcsa ingress',shell=True)
s=socket.socket(); s.settimeout(3); s.connect(('{IPB}',8500)); print('connect after SYN queue filled: ok', s.getsockname())
time.sleep(3)
""")
    print(srv.communicate()[0]); stop(cap)
    out["syncookies"] = cli + dump("/tmp/tcpsock/meas/syncookies.pcap")

def fin_ack_delay():
    # FIN in ESTABLISHED (peer closes first) vs FIN in FIN_WAIT_2: when is it ACKed?
    cap = capture(A, f"v{A}", "/tmp/tcpsock/meas/fin_ack.pcap")
    srv = run_in(B, f"""
import socket,time
l=socket.socket(); l.bind(('{IPB}',8600)); l.listen(1)
s,_=l.accept(); time.sleep(0.3); s.close(); time.sleep(1)
""", bg=True)
    time.sleep(0.3)
    cli = run_in(A, f"""
import socket,time
c=socket.create_connection(('{IPB}',8600)); print(c.recv(10)); time.sleep(0.5); c.close(); time.sleep(0.5)
""")
    srv.communicate(); stop(cap)
    out["fin_ack"] = cli + dump("/tmp/tcpsock/meas/fin_ack.pcap")

try:
    teardown(); setup()
    print(sh("uname -r"))
    for f in [globals()[n] for n in (sys.argv[1:] or ['listener_close','reuseaddr','shut_rd','orphan_fin_wait2','keepalive','syncookies','fin_ack_delay'])]:
        try:
            f()
        except Exception as e:
            out[f.__name__] = "ERROR " + repr(e)
        print("==", f.__name__, flush=True)
finally:
    teardown()
json.dump(out, open("/tmp/tcpsock/meas/out-%s.json" % "-".join(sys.argv[1:] or ["all"]), "w"), indent=1)
for k, v in out.items():
    print("=====", k); print(v if isinstance(v, str) else json.dumps(v, indent=1))
