import threading
t = threading.Thread(target=print, args=('from a thread',))
t.start()
