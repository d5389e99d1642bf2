# 粘包 (sticky packets), the notes' ⑤: TCP is a stream (面向流的通信是无消息保护边界的). The client
# sends three small messages at once; the server's recv(1024) gets whatever has arrived, not one
# message per send.
import socket
import time

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(('0.0.0.0', 8081))
server.listen(5)
conn, addr = server.accept()

time.sleep(0.1)  # the server is busy a moment: the three messages wait in its receive buffer
data1 = conn.recv(1024)
print('第一次收到:', data1)
data2 = conn.recv(1024)
print('第二次收到:', data2)
conn.close()
server.close()
