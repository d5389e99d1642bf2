# The notes' UDP server (基于UDP的套接字, ⑤): socket, bind, then an endless loop of recvfrom and
# sendto; no listen, no accept, no connection. Written out from the notes' outline.
import socket

server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # 数据报协议
server.bind(('0.0.0.0', 9000))

while True:  # 服务器无限循环
    msg, client_addr = server.recvfrom(1024)  # 对话(接收与发送)
    print('客户端', client_addr, '的消息:', msg)
    server.sendto(msg.upper(), client_addr)

server.close()
