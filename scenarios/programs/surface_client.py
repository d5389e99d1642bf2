# Calls beyond the notes' programs, as a client uses them: getaddrinfo, connect_ex to a port
# nobody listens on (111, ECONNREFUSED, returned not raised), create_connection raising
# ConnectionRefusedError, a recv after the peer's RST (ConnectionResetError [Errno 104]), and a
# connect to an address on the LAN that no host answers ARP for (OSError [Errno 113]).
import socket, time

print(socket.getaddrinfo('server', 8080, socket.AF_INET, socket.SOCK_STREAM))
c = socket.socket()
print('connect_ex', c.connect_ex(('server', 9999)))
c.close()
try:
    socket.create_connection(('server', 9999))
except ConnectionRefusedError as e:
    print(type(e).__name__, e)

s = socket.socket()
s.connect(('server', 8080))
s.sendall(b'hello')
time.sleep(0.01)
s.sendall(b'a line\nrest')
time.sleep(1)
try:
    s.recv(10)
except ConnectionResetError as e:
    print(type(e).__name__, e)

u = socket.socket()
try:
    u.connect(('10.0.0.9', 80))
except OSError as e:
    print(type(e).__name__, e)
