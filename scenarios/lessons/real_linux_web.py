# A tiny web server on a simulated host, for a real `curl` from the real kernel
# (scenarios/lessons/real-linux.toml). One request per connection, as HTTP/1.0.
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080))
s.listen(5)
while True:
    conn, addr = s.accept()
    request = conn.recv(1024)
    print("request from", addr, ":", request.split(b"\r\n")[0])
    body = b"hello from a simulated host\n"
    head = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
    conn.sendall(head % len(body) + body)
    conn.close()
