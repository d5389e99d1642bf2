import _socket
s = _socket.socket()
s.connect(('93.184.216.34', 80))
