# The cure for 粘包: each message goes with its length in a fixed-size header made with
# struct.pack('i', n) (4 bytes); the receiver reads the header, then exactly that many bytes.
import socket
import struct
import time


def recv_exact(conn, n):
    data = b''
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError('the client closed in the middle of a message')
        data += chunk
    return data


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(('0.0.0.0', 8081))
server.listen(5)
conn, addr = server.accept()
time.sleep(0.1)  # busy again: everything arrives stuck together
while True:
    header = conn.recv(4, socket.MSG_WAITALL)
    if not header:
        break
    (length,) = struct.unpack('i', header)
    body = recv_exact(conn, length)
    print('收到一条消息:', length, body)
conn.close()
server.close()
