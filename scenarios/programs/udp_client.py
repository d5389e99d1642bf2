# The notes' UDP client (⑤): no connect, each sendto is one datagram, each recvfrom one reply.
# An empty line is still a datagram (UDP is not a stream): "udp协议会帮你封装上消息头".
import socket

client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

for msg in ['hello', '', 'bye']:  # 通讯循环
    client.sendto(msg.encode('utf-8'), ('server', 9000))
    data, server_addr = client.recvfrom(1024)
    print(server_addr, data)

client.close()
