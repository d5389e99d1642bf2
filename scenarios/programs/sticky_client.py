import socket

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(('server', 8081))
client.send(b'hello')
client.send(b'world')
client.send(b'again')
client.close()
