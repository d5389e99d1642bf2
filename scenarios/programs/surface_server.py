# Calls beyond the notes' programs, as a server uses them: SO_REUSEADDR, a second bind of the
# same port (OSError [Errno 98]), recv_into a bytearray, a line through makefile(), a
# non-blocking recv with nothing there (BlockingIOError [Errno 11]), settimeout (TimeoutError),
# and SO_LINGER with l_linger 0, which makes close() reset the connection.
import socket, struct

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('0.0.0.0', 8080))
srv.listen(5)
try:
    socket.socket().bind(('0.0.0.0', 8080))
except OSError as e:
    print(type(e).__name__, e)

conn, addr = srv.accept()
buf = bytearray(5)
n = conn.recv_into(buf)
print('recv_into', n, bytes(buf[:n]))
f = conn.makefile('rb')
print('readline', f.readline())
f.close()

conn.setblocking(False)
try:
    conn.recv(10)
except BlockingIOError as e:
    print(type(e).__name__, e)
conn.setblocking(True)
conn.settimeout(0.2)
try:
    conn.recv(10)
except socket.timeout as e:
    print(type(e).__name__, e)

conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
conn.close()
