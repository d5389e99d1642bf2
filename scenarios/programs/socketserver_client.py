# A client using create_connection, makefile and settimeout: one line per argument, each
# answer printed, then a recv that times out (TimeoutError: timed out).
import socket, sys, time
with socket.create_connection(('server', 9999), timeout=5) as s:
    f = s.makefile('rwb')
    for word in sys.argv[1:]:
        f.write(word.encode() + b'\n')
        f.flush()
        print(f.readline())
    s.settimeout(0.5)
    try:
        s.recv(10)
    except TimeoutError as e:
        print('timeout:', e)
