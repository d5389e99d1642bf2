import socket
import struct

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(('server2', 8081))
for msg in [b'hello', b'world', b'again', '你好'.encode('utf-8')]:
    client.send(struct.pack('i', len(msg)))  # 报头: 4 bytes of length
    client.send(msg)
client.close()
