# Sends 1 MB of seeded pseudo-random bytes, then closes. random is seeded by netlab from the
# scenario's seed, so the receiver can rebuild the same bytes and check every one.
import random
import socket

SIZE = 1024 * 1024
data = random.Random(2026).randbytes(SIZE)
with socket.create_connection(('receiver', 5001)) as s:
    for i in range(0, SIZE, 65536):
        s.sendall(data[i:i + 65536])
print('sent', SIZE, 'bytes')
