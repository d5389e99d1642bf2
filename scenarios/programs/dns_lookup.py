# Name lookups through the DNS server the DHCP lease named (option 6).
import socket

print(socket.gethostbyname("www.lab"))
print(socket.gethostbyname("www.lab"))  # from the cache: nothing on the wire
print(socket.gethostbyaddr("10.0.0.80")[0])
try:
    socket.gethostbyname("nope.lab")
except socket.gaierror as e:
    print("gaierror", e)
