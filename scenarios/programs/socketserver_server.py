# socketserver.TCPServer with a StreamRequestHandler: the handler reads lines from
# self.rfile (makefile) and answers each in capitals; handle_request() serves one client.
import socketserver

class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            print('server got', line)
            self.wfile.write(line.upper())

with socketserver.TCPServer(('0.0.0.0', 9999), Echo) as server:
    server.handle_request()
    server.handle_request()
print('served two clients')
