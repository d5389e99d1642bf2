# The standard library's web client: urllib.request over http.client, by the server's name.
import urllib.request

with urllib.request.urlopen('http://server:8000/index.html') as r:
    print(r.status, r.headers['Content-Type'], r.read())
