# Receives until the sender closes, then compares every byte with what the sender sent.
import hashlib
import random
import socket

SIZE = 1024 * 1024
expected = random.Random(2026).randbytes(SIZE)
server = socket.create_server(('0.0.0.0', 5001))
conn, addr = server.accept()
received = bytearray()
with conn:
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        received += chunk
wrong = sum(1 for a, b in zip(received, expected) if a != b)
print('received', len(received), 'bytes,', wrong, 'wrong')
print('sha256 match:', hashlib.sha256(received).digest() == hashlib.sha256(expected).digest())
assert len(received) == SIZE and wrong == 0
