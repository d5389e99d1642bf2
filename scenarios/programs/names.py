# The notes' ④ interactive examples, one after the other: host names, addresses as bytes, ports
# of well-known services, byte order.
import socket

print(socket.gethostname())
print(socket.gethostbyname(socket.gethostname()))
print(socket.gethostbyname('localhost'))
print(socket.gethostbyaddr('10.0.0.2'))
print(socket.inet_aton('192.168.1.2'))
print(socket.inet_ntoa(b'\xc0\xa8\x01\x02'))
print(socket.inet_pton(socket.AF_INET, '192.168.1.2'))
print(socket.inet_ntop(socket.AF_INET, b'\xc0\xa8\x01\x02'))
print(socket.getservbyname('ssh'))
print(socket.getservbyname('http'))
print(socket.htons(8081), socket.ntohs(socket.htons(8081)))
try:
    socket.gethostbyname('www.baidu.com')  # no DNS on this network
except socket.gaierror as e:
    print('gaierror', e)
try:
    socket.inet_aton('300.1.1.1')
except OSError as e:
    print('OSError', e)
